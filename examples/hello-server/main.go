// hello-server is a friendly little web server: it answers "Hello World!"
// on :8080 (or on the address given with -addr).
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
)

func main() {
	addr := flag.String("addr", ":8080", "address to listen on")
	flag.Parse()
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "Hello World!")
	})
	log.Printf("hello-server listening on %s", *addr)
	log.Fatal(http.ListenAndServe(*addr, nil))
}
