// Command mmdb-writer turns a JSONL export of an iprisk index into a MaxMind DB, so that the
// benchmark can time the maxmind npm reader on exactly the ranges and answers iprisk holds.
// No npm package writes MMDB; MaxMind's own Go writer does.
//
// Input, one JSON object per line:
//
//	{"network":"1.2.3.0/24","record_id":0,"record":{...}}   defines record 0 and inserts it
//	{"network":"5.6.0.0/16","record_id":0}                    inserts record 0 again
//	{"network":"2001:db8::/32","record":{...}}                an anonymous record, inserted once
//
// Referring to records by id keeps a multi-million-network export small: an index has a few
// hundred distinct answers shared by all its ranges.
//
// Usage: mmdb-writer -in export.jsonl -out index.mmdb
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"path/filepath"
	"reflect"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

type line struct {
	Network  string          `json:"network"`
	RecordID *int            `json:"record_id"`
	Record   json.RawMessage `json:"record"`
}

// identityKeys names each record by the id it was defined with. The writer's default key is
// a SHA-256 of the serialised value per insert, which dominates the run for millions of
// networks sharing a few hundred records.
type identityKeys struct {
	keys map[uintptr][]byte
}

func (k *identityKeys) Key(v mmdbtype.DataType) ([]byte, error) {
	m, ok := v.(mmdbtype.Map)
	if !ok {
		return nil, fmt.Errorf("record of unexpected type %T", v)
	}
	key, ok := k.keys[reflect.ValueOf(m).Pointer()]
	if !ok {
		return nil, errors.New("record inserted without being registered")
	}
	return key, nil
}

func convert(v any) (mmdbtype.DataType, error) {
	switch x := v.(type) {
	case bool:
		return mmdbtype.Bool(x), nil
	case string:
		return mmdbtype.String(x), nil
	case json.Number:
		if i, err := x.Int64(); err == nil {
			if i >= 0 && i <= math.MaxUint32 {
				return mmdbtype.Uint32(i), nil
			}
			if i >= math.MinInt32 && i < 0 {
				return mmdbtype.Int32(i), nil
			}
		}
		f, err := x.Float64()
		if err != nil {
			return nil, fmt.Errorf("number %s: %w", x, err)
		}
		return mmdbtype.Float64(f), nil
	case []any:
		out := make(mmdbtype.Slice, 0, len(x))
		for _, e := range x {
			c, err := convert(e)
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
		return out, nil
	case map[string]any:
		out := make(mmdbtype.Map, len(x))
		for k, e := range x {
			c, err := convert(e)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[mmdbtype.String(k)] = c
		}
		return out, nil
	case nil:
		return nil, errors.New("null has no MMDB type")
	}
	return nil, fmt.Errorf("unsupported JSON value %v", v)
}

func parseRecord(raw json.RawMessage) (mmdbtype.Map, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	c, err := convert(v)
	if err != nil {
		return nil, err
	}
	m, ok := c.(mmdbtype.Map)
	if !ok {
		return nil, errors.New("record is not a JSON object")
	}
	return m, nil
}

func run(in io.Reader, outPath string) error {
	keys := &identityKeys{keys: map[uintptr][]byte{}}
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType: "iprisk-bench",
		RecordSize:   28,
		IPVersion:    6,
		// iprisk answers Teredo (2001::/32) and 6to4 (2002::/16) networks as IPv6; aliasing
		// would map them onto the IPv4 tree and refuse inserts there. IPv4 networks are still
		// inserted at ::a.b.c.d/96+n, where every reader looks IPv4 addresses up.
		DisableIPv4Aliasing: true,
		// The index never holds bogon space, but the writer's reserved list is not iprisk's:
		// nothing the index answers may be dropped silently.
		IncludeReservedNetworks: true,
		KeyGenerator:            keys,
	})
	if err != nil {
		return err
	}
	records := map[int]mmdbtype.Map{}
	anonymous := 0
	scanner := bufio.NewScanner(in)
	scanner.Buffer(make([]byte, 1<<20), 1<<26)
	networks := 0
	for n := 1; scanner.Scan(); n++ {
		text := scanner.Bytes()
		if len(bytes.TrimSpace(text)) == 0 {
			continue
		}
		var l line
		if err := json.Unmarshal(text, &l); err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
		var record mmdbtype.Map
		switch {
		case l.Record != nil:
			record, err = parseRecord(l.Record)
			if err != nil {
				return fmt.Errorf("line %d: record: %w", n, err)
			}
			var key string
			if l.RecordID != nil {
				if _, dup := records[*l.RecordID]; dup {
					return fmt.Errorf("line %d: record_id %d defined twice", n, *l.RecordID)
				}
				records[*l.RecordID] = record
				key = fmt.Sprintf("id:%d", *l.RecordID)
			} else {
				anonymous++
				key = fmt.Sprintf("anon:%d", anonymous)
			}
			keys.keys[reflect.ValueOf(record).Pointer()] = []byte(key)
		case l.RecordID != nil:
			r, ok := records[*l.RecordID]
			if !ok {
				return fmt.Errorf("line %d: record_id %d used before it is defined", n, *l.RecordID)
			}
			record = r
		default:
			return fmt.Errorf("line %d: neither record nor record_id", n)
		}
		_, network, err := net.ParseCIDR(l.Network)
		if err != nil {
			return fmt.Errorf("line %d: network %q: %w", n, l.Network, err)
		}
		if v4 := network.IP.To4(); v4 != nil {
			// net.ParseCIDR gives a 16-byte IP for IPv4 text; the writer places 4-byte
			// networks in the IPv4 subtree.
			network.IP = v4
		}
		if err := tree.Insert(network, record); err != nil {
			return fmt.Errorf("line %d: insert %s: %w", n, l.Network, err)
		}
		networks++
	}
	if err := scanner.Err(); err != nil {
		return err
	}

	tmp, err := os.CreateTemp(filepath.Dir(outPath), ".mmdb-writer-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriterSize(tmp, 1<<20)
	size, err := tree.WriteTo(w)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = tmp.Close()
	} else {
		_ = tmp.Close()
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), outPath); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "mmdb-writer: %d networks, %d distinct records, %d bytes -> %s\n", networks, len(records)+anonymous, size, outPath)
	return nil
}

func main() {
	inPath := flag.String("in", "", "JSONL export of the index ('-' for stdin)")
	outPath := flag.String("out", "", "MMDB file to write")
	flag.Parse()
	if *inPath == "" || *outPath == "" {
		fmt.Fprintln(os.Stderr, "usage: mmdb-writer -in export.jsonl -out index.mmdb")
		os.Exit(2)
	}
	var in io.Reader = os.Stdin
	if *inPath != "-" {
		f, err := os.Open(*inPath)
		if err != nil {
			fmt.Fprintln(os.Stderr, "mmdb-writer:", err)
			os.Exit(1)
		}
		defer f.Close()
		in = f
	}
	if err := run(in, *outPath); err != nil {
		fmt.Fprintln(os.Stderr, "mmdb-writer:", err)
		os.Exit(1)
	}
}
