// Command tlogverify checks a Comity audit log over HTTP with Go's own transparency-log code
// (golang.org/x/mod/sumdb/tlog and sumdb/note), independently of Comity's Python.
//
// Usage: tlogverify PREFIX VERIFIER-KEY INDEX [OLD-SIZE OLD-ROOT]
//
// It fetches PREFIX/checkpoint and verifies its signature with the verifier key; reads every
// hash tile the checkpoint's tree needs through tlog.TileHashReader (which checks each tile
// against the signed root) and rebuilds the root from them; reads every entry bundle and checks
// each entry hashes to its leaf in the level-0 tiles; proves and checks the inclusion of entry
// INDEX; and, given an earlier size and root, proves and checks that the tree extends it.
// It prints "ok <size> <root>" and exits 0, or prints the failure and exits 1.
package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func get(url string) ([]byte, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %s", url, resp.Status, data)
	}
	return data, nil
}

// tiles reads C2SP tlog-tiles paths: Go's tile paths carry the height ("tile/8/0/000"),
// tlog-tiles paths do not ("tile/0/000"), and entry bundles live at "tile/entries/".
type tiles struct {
	prefix string
	cache  map[string][]byte
	gets   int
}

func (t *tiles) Height() int { return 8 }

func (t *tiles) url(tile tlog.Tile) string {
	p := strings.TrimPrefix(tile.Path(), "tile/8/")
	p = strings.Replace(p, "data/", "entries/", 1)
	return t.prefix + "/tile/" + p
}

func (t *tiles) ReadTiles(ts []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(ts))
	for i, tile := range ts {
		u := t.url(tile)
		if data, ok := t.cache[u]; ok {
			out[i] = data
			continue
		}
		data, err := get(u)
		if err != nil {
			return nil, err
		}
		t.gets++
		t.cache[u] = data
		out[i] = data
	}
	return out, nil
}

func (t *tiles) SaveTiles([]tlog.Tile, [][]byte) {}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "tlogverify: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 4 && len(os.Args) != 6 {
		fail("usage: tlogverify PREFIX VERIFIER-KEY INDEX [OLD-SIZE OLD-ROOT]")
	}
	prefix := strings.TrimRight(os.Args[1], "/")
	verifier, err := note.NewVerifier(os.Args[2])
	if err != nil {
		fail("verifier key: %v", err)
	}
	msg, err := get(prefix + "/checkpoint")
	if err != nil {
		fail("%v", err)
	}
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		fail("checkpoint signature: %v", err)
	}
	lines := strings.SplitN(n.Text, "\n", 4)
	if len(lines) < 4 || lines[0] != verifier.Name() {
		fail("checkpoint origin %q is not the key name %q", lines[0], verifier.Name())
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("checkpoint size: %v", err)
	}
	root, err := tlog.ParseHash(lines[2])
	if err != nil {
		fail("checkpoint root: %v", err)
	}
	tree := tlog.Tree{N: size, Hash: root}
	reader := &tiles{prefix: prefix, cache: map[string][]byte{}}
	hashes := tlog.TileHashReader(tree, reader)

	rebuilt, err := tlog.TreeHash(size, hashes)
	if err != nil {
		fail("rebuilding the root from the tiles: %v", err)
	}
	if rebuilt != root {
		fail("the tiles hash to %v, the checkpoint says %v", rebuilt, root)
	}

	// Every entry: its bundle's bytes must hash to its leaf in the (root-checked) level-0 tiles.
	for start := int64(0); start < size; start += 256 {
		width := size - start
		if width > 256 {
			width = 256
		}
		tile := tlog.Tile{H: 8, L: -1, N: start / 256, W: int(width)}
		data, err := get(reader.url(tile))
		if err != nil {
			fail("%v", err)
		}
		indexes := make([]int64, width)
		for i := range indexes {
			indexes[i] = tlog.StoredHashIndex(0, start+int64(i))
		}
		leaves, err := hashes.ReadHashes(indexes)
		if err != nil {
			fail("level-0 tile for entries from %d: %v", start, err)
		}
		buf := bytes.NewReader(data)
		for i := int64(0); i < width; i++ {
			var length uint16
			if err := binary.Read(buf, binary.BigEndian, &length); err != nil {
				fail("entry bundle %s: entry %d: %v", tile.Path(), start+i, err)
			}
			entry := make([]byte, length)
			if _, err := io.ReadFull(buf, entry); err != nil {
				fail("entry bundle %s: entry %d: %v", tile.Path(), start+i, err)
			}
			if tlog.RecordHash(entry) != leaves[i] {
				fail("entry %d does not hash to its leaf in the tiles", start+i)
			}
		}
		if buf.Len() != 0 {
			fail("entry bundle %s has %d bytes after its last entry", tile.Path(), buf.Len())
		}
	}

	index, err := strconv.ParseInt(os.Args[3], 10, 64)
	if err != nil {
		fail("index: %v", err)
	}
	proof, err := tlog.ProveRecord(size, index, hashes)
	if err != nil {
		fail("proving entry %d: %v", index, err)
	}
	leaf, err := hashes.ReadHashes([]int64{tlog.StoredHashIndex(0, index)})
	if err != nil {
		fail("leaf %d: %v", index, err)
	}
	if err := tlog.CheckRecord(proof, size, root, index, leaf[0]); err != nil {
		fail("inclusion proof of entry %d: %v", index, err)
	}

	if len(os.Args) == 6 {
		oldSize, err := strconv.ParseInt(os.Args[4], 10, 64)
		if err != nil {
			fail("old size: %v", err)
		}
		oldRoot, err := tlog.ParseHash(os.Args[5])
		if err != nil {
			fail("old root: %v", err)
		}
		tp, err := tlog.ProveTree(size, oldSize, hashes)
		if err != nil {
			fail("proving size %d extends %d: %v", size, oldSize, err)
		}
		if err := tlog.CheckTree(tp, size, root, oldSize, oldRoot); err != nil {
			fail("consistency with the tree of size %d: %v", oldSize, err)
		}
	}
	fmt.Printf("ok %d %v (%d tiles read)\n", size, root, reader.gets)
}
