package build

// overlap runs f beside the caller and returns the function that waits
// for its results: how a build does the independent parts of its set-up
// (the guest root and the network) at once.
func overlap[T any](f func() (T, error)) (wait func() (T, error)) {
	var v T
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		v, err = f()
	}()
	return func() (T, error) {
		<-done
		return v, err
	}
}
