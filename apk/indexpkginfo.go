package apk

import (
	"bytes"
	"strconv"
	"strings"
)

// Indexing thousands of packages keeps every record until the index is
// written, so what each record costs in memory is paid in page faults.
// The IndexReader parses .PKGINFO with infoParser, which gives the record
// ParsePKGINFO gives (every field, the same strings and lists, nil lists
// where it leaves them nil) from far fewer allocations: the values alone
// (not the keys, comments and separators) are copied into one string per
// record, and records, list entries and checksums are cut from slabs
// shared by the records an IndexReader reads.

// slabLen is how many records, list entries or checksum bytes one slab
// holds.
const slabLen = 256

// List keys, in the order of infoParser.lists.
const (
	listDepend = iota
	listProvides
	listInstallIf
	listReplaces
	listTriggers
	numLists
)

// span is a value's place in infoParser.vals.
type span struct{ start, end int32 }

// infoParser parses .PKGINFO for an IndexReader, reusing its scratch
// space from one record to the next.
type infoParser struct {
	vals    []byte // the values of one record, copied
	scalars [numScalars]span
	set     uint32             // bit i: scalars[i] was seen
	nums    [numScalars]uint64 // the numbers, by scalar index
	lists   [numLists][]span
	infos   []PackageInfo // slab of records
	strs    []string      // slab of list entries
	sums    []byte        // slab of checksum bytes
}

// Scalar keys, the index of their span in infoParser.scalars.
const (
	sName = iota
	sVersion
	sArch
	sDescription
	sURL
	sLicense
	sOrigin
	sCommit
	sMaintainer
	sPackager
	sDataHash
	sBuildDate
	sSize
	sProviderPriority
	sReplacesPriority
	numScalars
)

// scalarKey returns the scalar index or list index of key; list is true
// for a list key, ok false for a key ParsePKGINFO ignores.
func scalarKey(key []byte) (i int, list, ok bool) {
	switch string(key) { // no allocation: compared in place
	case "pkgname":
		return sName, false, true
	case "pkgver":
		return sVersion, false, true
	case "pkgdesc":
		return sDescription, false, true
	case "url":
		return sURL, false, true
	case "builddate":
		return sBuildDate, false, true
	case "packager":
		return sPackager, false, true
	case "size":
		return sSize, false, true
	case "arch":
		return sArch, false, true
	case "origin":
		return sOrigin, false, true
	case "commit":
		return sCommit, false, true
	case "maintainer":
		return sMaintainer, false, true
	case "license":
		return sLicense, false, true
	case "provider_priority":
		return sProviderPriority, false, true
	case "replaces_priority":
		return sReplacesPriority, false, true
	case "datahash":
		return sDataHash, false, true
	case "depend":
		return listDepend, true, true
	case "provides":
		return listProvides, true, true
	case "install_if":
		return listInstallIf, true, true
	case "replaces":
		return listReplaces, true, true
	case "triggers":
		return listTriggers, true, true
	}
	return 0, false, false
}

// parse returns the record of .PKGINFO data; ok is false wherever
// ParsePKGINFO returns an error.
func (ip *infoParser) parse(data []byte) (*PackageInfo, bool) {
	ip.vals, ip.set, ip.nums = ip.vals[:0], 0, [numScalars]uint64{}
	for i := range ip.lists {
		ip.lists[i] = ip.lists[i][:0]
	}
	for len(data) > 0 {
		var l []byte
		l, data, _ = bytes.Cut(data, []byte("\n"))
		if len(l) >= maxPKGINFOLine {
			return nil, false
		}
		l = bytes.TrimSuffix(l, []byte("\r"))
		if len(l) > 0 && l[0] == '#' {
			continue
		}
		key, val, found := bytes.Cut(l, []byte(" = "))
		if !found {
			continue
		}
		i, list, ok := scalarKey(key)
		switch {
		case !ok:
		case list:
			ip.addFields(i, val)
		case i >= sBuildDate: // numbers are checked on every line, as ParsePKGINFO does
			if !ip.number(i, val) {
				return nil, false
			}
		default:
			start := len(ip.vals)
			ip.vals = append(ip.vals, val...)
			ip.scalars[i] = span{int32(start), int32(len(ip.vals))}
			ip.set |= 1 << i
		}
	}
	return ip.record()
}

// addFields copies the space-separated entries of val, as strings.Fields
// splits them, into list i.
func (ip *infoParser) addFields(i int, val []byte) {
	for _, c := range val {
		if c >= 0x80 { // Unicode spaces: strings.Fields decides
			for _, f := range strings.Fields(string(val)) {
				start := len(ip.vals)
				ip.vals = append(ip.vals, f...)
				ip.lists[i] = append(ip.lists[i], span{int32(start), int32(len(ip.vals))})
			}
			return
		}
	}
	for len(val) > 0 {
		j := 0
		for j < len(val) && asciiSpace(val[j]) {
			j++
		}
		val = val[j:]
		j = 0
		for j < len(val) && !asciiSpace(val[j]) {
			j++
		}
		if j == 0 {
			break
		}
		start := len(ip.vals)
		ip.vals = append(ip.vals, val[:j]...)
		ip.lists[i] = append(ip.lists[i], span{int32(start), int32(len(ip.vals))})
		val = val[j:]
	}
}

// asciiSpace is strings.Fields' notion of an ASCII space.
func asciiSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// record builds the PackageInfo from the parsed spans.
func (ip *infoParser) record() (*PackageInfo, bool) {
	vals := string(ip.vals) // the one allocation per record
	str := func(i int) string {
		s := ip.scalars[i]
		if ip.set&(1<<i) == 0 {
			return ""
		}
		return vals[s.start:s.end]
	}
	if len(ip.infos) == 0 {
		ip.infos = make([]PackageInfo, slabLen)
	}
	p := &ip.infos[0]
	*p = PackageInfo{
		Name: str(sName), Version: str(sVersion), Arch: str(sArch),
		Description: str(sDescription), URL: str(sURL), License: str(sLicense),
		Origin: str(sOrigin), Commit: str(sCommit), Maintainer: str(sMaintainer),
		Packager: str(sPackager), DataHash: str(sDataHash),
	}
	if p.Name == "" || p.Version == "" {
		return nil, false
	}
	p.BuildDate = int64(ip.nums[sBuildDate])
	p.Size = ip.nums[sSize]
	p.ProviderPriority = ip.nums[sProviderPriority]
	p.ReplacesPriority = ip.nums[sReplacesPriority]
	lists := [numLists]*[]string{&p.Depends, &p.Provides, &p.InstallIf, &p.Replaces, &p.Triggers}
	for i, spans := range ip.lists {
		if len(spans) > 0 {
			*lists[i] = ip.strings(vals, spans)
		}
	}
	ip.infos = ip.infos[1:]
	return p, true
}

// strings returns the entries at spans of vals, cut from the slab.
func (ip *infoParser) strings(vals string, spans []span) []string {
	if len(ip.strs) < len(spans) {
		ip.strs = make([]string, max(slabLen, len(spans)))
	}
	out := ip.strs[:len(spans):len(spans)]
	ip.strs = ip.strs[len(spans):]
	for k, s := range spans {
		out[k] = vals[s.start:s.end]
	}
	return out
}

// checksum copies sum into the slab.
func (ip *infoParser) checksum(sum []byte) []byte {
	if len(ip.sums) < len(sum) {
		ip.sums = make([]byte, slabLen*len(sum))
	}
	out := ip.sums[:len(sum):len(sum)]
	ip.sums = ip.sums[len(sum):]
	copy(out, sum)
	return out
}

// number parses the value of number key i (builddate signed, the others
// unsigned) as ParsePKGINFO does.
func (ip *infoParser) number(i int, val []byte) bool {
	if v, ok := smallDecimal(val); ok {
		ip.nums[i] = v
		return true
	}
	var err error
	if i == sBuildDate {
		var v int64
		v, err = strconv.ParseInt(string(val), 10, 64)
		ip.nums[i] = uint64(v)
	} else {
		ip.nums[i], err = strconv.ParseUint(string(val), 10, 64)
	}
	return err == nil
}

// smallDecimal parses 1 to 18 plain digits, which strconv reads the same
// whatever the type; anything else is left to strconv.
func smallDecimal(s []byte) (uint64, bool) {
	if len(s) == 0 || len(s) > 18 {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	return v, true
}
