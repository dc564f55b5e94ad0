package main

// stackPad is the size of growStack's frame: with it, the runtime grows
// the stack a command starts on straight to 32 KiB.
const stackPad = 20 << 10

// growStack grows the goroutine's stack to 32 KiB in one step while the
// stack is still shallow. It is called for compile only, which runs once
// per recipe in a loop: parsing a recipe recurses deep through the YAML
// parser, and the runtime's growth there, from 16 to 32 KiB, adjusts every
// frame of that deep stack, reading the unwind tables of each function
// from the binary (one stack copy fewer: about 10 of the ~510 page faults
// of a compile). n must be positive: the frame is reserved, never written.
//
//go:noinline
func growStack(n int) byte {
	if n >= 0 {
		return 0
	}
	var pad [stackPad]byte
	pad[-n%stackPad] = 1
	return pad[(-n*7)%stackPad]
}
