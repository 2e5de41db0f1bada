// logcheck verifies a running Roster node's log with the reference implementation
// of the formats, Go's golang.org/x/mod/sumdb/note and tlog, not with Roster's code:
// the signed checkpoint, every tile (authenticated by tlog.TileHashReader against
// the checkpoint's root), every entry against its leaf hash, and the node's
// inclusion and consistency proofs with tlog.CheckRecord and tlog.CheckTree.
//
// Built with Debian's golang-go and golang-golang-x-mod-dev in GOPATH mode:
//
//	GOPATH=/usr/share/gocode GO111MODULE=off go run logcheck.go URL VERIFIERKEY
//
// Prints one line per check and exits 1 on the first that fails.
package main

import (
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

var client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}

func get(url string) []byte {
	response, err := client.Get(url)
	if err != nil {
		fail("GET %s: %v", url, err)
	}
	defer response.Body.Close()
	body, err := io.ReadAll(response.Body)
	if err != nil || response.StatusCode != 200 {
		fail("GET %s: status %d, %v", url, response.StatusCode, err)
	}
	return body
}

func fail(format string, arguments ...interface{}) {
	fmt.Printf("FAIL "+format+"\n", arguments...)
	os.Exit(1)
}

// tiles reads C2SP tlog-tiles (tile/L/N, no height in the path) for tlog.TileHashReader.
type tiles struct{ base string }

func (t tiles) Height() int { return 8 }

func (t tiles) ReadTiles(list []tlog.Tile) ([][]byte, error) {
	data := make([][]byte, len(list))
	for i, tile := range list {
		path := strings.Replace(tile.Path(), "tile/8/", "tile/", 1)
		data[i] = get(t.base + "/log/" + path)
	}
	return data, nil
}

func (t tiles) SaveTiles([]tlog.Tile, [][]byte) {}

type proofAnswer struct {
	Proof []string `json:"proof"`
}

func hashes(texts []string) []tlog.Hash {
	out := make([]tlog.Hash, len(texts))
	for i, text := range texts {
		bytes, err := base64.StdEncoding.DecodeString(text)
		if err != nil || len(bytes) != 32 {
			fail("a proof hash is not base64 SHA-256: %q", text)
		}
		copy(out[i][:], bytes)
	}
	return out
}

func main() {
	if len(os.Args) != 3 {
		fail("usage: logcheck URL VERIFIERKEY")
	}
	base, key := os.Args[1], os.Args[2]
	verifier, err := note.NewVerifier(key)
	if err != nil {
		fail("verifier key %q: %v", key, err)
	}
	signed := get(base + "/log/checkpoint")
	opened, err := note.Open(signed, note.VerifierList(verifier))
	if err != nil {
		fail("checkpoint does not verify with note.Open: %v", err)
	}
	lines := strings.Split(opened.Text, "\n")
	if len(lines) < 4 || lines[0] != verifier.Name() {
		fail("checkpoint origin %q is not the key name %q", lines[0], verifier.Name())
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	root, err2 := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || err2 != nil || len(root) != 32 {
		fail("checkpoint size or root unreadable: %q %q", lines[1], lines[2])
	}
	var tree tlog.Tree
	tree.N = size
	copy(tree.Hash[:], root)
	fmt.Printf("ok checkpoint %s size %d signed by %s\n", lines[0], size, verifier.Name())

	reader := tlog.TileHashReader(tree, tiles{base})
	computed, err := tlog.TreeHash(size, reader)
	if err != nil || computed != tree.Hash {
		fail("the tiles do not give the checkpoint's root: %v", err)
	}
	fmt.Printf("ok tiles authenticated against the root\n")

	// Every entry against its leaf hash, bundle by bundle.
	for start := int64(0); start < size; start += 256 {
		width := size - start
		path := fmt.Sprintf("tile/entries/%s", strings.TrimPrefix(tlog.Tile{H: 8, L: 0, N: start / 256, W: 256}.Path(), "tile/8/0/"))
		if width < 256 {
			path = fmt.Sprintf("tile/entries/%s", strings.TrimPrefix(tlog.Tile{H: 8, L: 0, N: start / 256, W: int(width)}.Path(), "tile/8/0/"))
		} else {
			width = 256
		}
		bundle := get(base + "/log/" + path)
		for i := int64(0); i < width; i++ {
			if len(bundle) < 2 {
				fail("entry bundle %s ends early", path)
			}
			length := int(bundle[0])<<8 | int(bundle[1])
			if len(bundle) < 2+length {
				fail("entry bundle %s ends early", path)
			}
			entry := bundle[2 : 2+length]
			bundle = bundle[2+length:]
			stored, err := reader.ReadHashes([]int64{tlog.StoredHashIndex(0, start+i)})
			if err != nil || stored[0] != tlog.RecordHash(entry) {
				fail("entry %d does not hash to its leaf: %v", start+i, err)
			}
		}
		if len(bundle) != 0 {
			fail("entry bundle %s has bytes after its entries", path)
		}
	}
	fmt.Printf("ok %d entries hash to their leaves\n", size)

	// The node's own proofs, checked by tlog.
	for _, index := range []int64{0, size / 2, size - 1} {
		var answer proofAnswer
		if err := json.Unmarshal(get(fmt.Sprintf("%s/v1/log/proof/inclusion?index=%d&size=%d", base, index, size)), &answer); err != nil {
			fail("inclusion proof of %d: %v", index, err)
		}
		leaf, err := reader.ReadHashes([]int64{tlog.StoredHashIndex(0, index)})
		if err != nil || tlog.CheckRecord(hashes(answer.Proof), size, tree.Hash, index, leaf[0]) != nil {
			fail("the node's inclusion proof of leaf %d does not check with tlog.CheckRecord", index)
		}
	}
	fmt.Printf("ok inclusion proofs\n")
	for _, first := range []int64{1, size / 3, size - 1, size} {
		if first < 1 {
			continue
		}
		var answer proofAnswer
		if err := json.Unmarshal(get(fmt.Sprintf("%s/v1/log/proof/consistency?first=%d&second=%d", base, first, size)), &answer); err != nil {
			fail("consistency proof from %d: %v", first, err)
		}
		old, err := tlog.TreeHash(first, reader)
		if err != nil || tlog.CheckTree(hashes(answer.Proof), size, tree.Hash, first, old) != nil {
			fail("the node's consistency proof from %d to %d does not check with tlog.CheckTree", first, size)
		}
	}
	fmt.Printf("ok consistency proofs\n")
}
