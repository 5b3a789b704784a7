package bench

import (
	"os"
	"slices"
	"testing"
)

func TestReadVmHWM(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc")
	}
	if got := readVmHWM("/proc/self/status"); got < 1<<20 {
		t.Errorf("VmHWM of the test process = %d bytes", got)
	}
	if got := readVmHWM("/nonexistent"); got != 0 {
		t.Errorf("missing file: %d", got)
	}
}

func TestParseSizes(t *testing.T) {
	tests := []struct {
		in      string
		want    []int
		wantErr bool
	}{
		{in: "10000,100000, 1000000", want: []int{10000, 100000, 1000000}},
		{in: "5", want: []int{5}},
		{in: "10,x", wantErr: true},
		{in: "0", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseSizes(tt.in)
		if (err != nil) != tt.wantErr || !slices.Equal(got, tt.want) {
			t.Errorf("ParseSizes(%q) = %v, %v; want %v (error %v)", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}
