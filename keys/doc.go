// Package keys generates, loads and saves the RSA keys that sign APK
// packages and indexes, signs and verifies digests with RSA PKCS#1 v1.5
// (SHA-1, SHA-256, SHA-512), and keeps keyrings of trusted public keys
// addressed by the key name that apk-tools uses (the file's base name).
//
// Errors that callers branch on are typed: ErrUntrusted (no key of that
// name in the keyring) and ErrBadSignature (a key of that name exists but
// the signature does not verify with it).
package keys
