package devserver

import "testing"

func TestQuietRangeFrom(t *testing.T) {
	cases := []struct {
		content string
		want    quietPorts
		ok      bool
	}{
		{"32768\t60999\n", quietPorts{10000, 32767}, true},
		{"49152 65535", quietPorts{10000, 49151}, true},
		{"1024 60999", quietPorts{61000, 65535}, true},
		{"1024 65000", quietPorts{}, false},
		{"", quietPorts{}, false},
		{"a b", quietPorts{}, false},
		{"60000 40000", quietPorts{}, false},
	}
	for _, c := range cases {
		got, ok := quietRangeFrom(c.content)
		if ok != c.ok || got != c.want {
			t.Errorf("quietRangeFrom(%q) = %v, %v; want %v, %v", c.content, got, ok, c.want, c.ok)
		}
	}
}

func TestFreePortIsOutsideTheEphemeralRange(t *testing.T) {
	r, ok := quietRange()
	for range 20 {
		p, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		if ok && (p < r.low || p > r.high) {
			t.Fatalf("port %d outside the quiet range %v", p, r)
		}
		if err := checkPort(p); err != nil {
			t.Fatalf("port %d: %v", p, err)
		}
	}
}
