package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"text/tabwriter"
	"time"

	"akship/inputs/authentik/simulator"
)

// referencePageSize is the page_size of Elastic's authentik integration
// (its default, a hidden variable).
const referencePageSize = 1000

// scaleRow is the scale-of-work measurement for one number of stored events.
type scaleRow struct {
	stored      int
	backfill    benchResult
	idle        benchResult // a poll with nothing new
	incremental benchResult // a poll after --new-events new events
	reference   referenceLoad
}

// referenceLoad is what one interval of the reference integration costs
// authentik: it lists every stored event, page 1 to the last, every
// interval.
type referenceLoad struct {
	requests uint64
	bytes    int64
	wall     time.Duration
}

// runScale measures, for each size, a mapped backfill, an idle poll, an
// incremental poll and one interval of the reference integration's
// collection loop against the same simulator.
func runScale(ctx context.Context, s Settings, w io.Writer) error {
	var rows []scaleRow
	for _, n := range s.ScaleSizes {
		row, err := scaleOnce(ctx, s, n)
		if err != nil {
			return fmt.Errorf("%d events: %w", n, err)
		}
		rows = append(rows, row)
	}
	printScale(w, s, rows)
	return nil
}

func scaleOnce(ctx context.Context, s Settings, n int) (scaleRow, error) {
	row := scaleRow{stored: n}
	e, err := newBenchEnv(s, n, filepath.Join(s.Dir, "scale-"+strconv.Itoa(n)), false)
	if err != nil {
		return row, err
	}
	defer e.close()
	name := "scale-" + strconv.Itoa(n)
	if row.backfill, err = e.measure(ctx, "backfill", name, n); err != nil {
		return row, err
	}
	if row.idle, err = e.measure(ctx, "idle poll", name+"-idle", 0); err != nil {
		return row, err
	}
	if row.reference, err = referenceInterval(ctx, e); err != nil {
		return row, err
	}
	e.sim.InsertEvents(s.NewEvents)
	row.incremental, err = e.measure(ctx, "incremental poll", name+"-incremental", s.NewEvents)
	return row, err
}

// referenceInterval runs one interval of the reference integration's
// collection loop (spec/elastic-integration.md §1.3): GET page=1, 2, … with
// page_size=1000 and the server's default order until pagination.next is 0.
func referenceInterval(ctx context.Context, e *benchEnv) (referenceLoad, error) {
	var load referenceLoad
	before := e.sim.Stats().Requests.Events
	start := time.Now()
	for page := 1; page != 0; {
		url := fmt.Sprintf("%s/api/v3/events/events/?page=%d&page_size=%d", e.simURL, page, referencePageSize)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return load, err
		}
		req.Header.Set("Authorization", "Bearer "+simulator.DefaultToken)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return load, err
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK {
			return load, fmt.Errorf("reference request for page %d failed: %d %v", page, res.StatusCode, err)
		}
		load.bytes += int64(len(body))
		var p struct {
			Pagination struct {
				Next int `json:"next"`
			} `json:"pagination"`
		}
		if err := json.Unmarshal(body, &p); err != nil {
			return load, err
		}
		page = p.Pagination.Next
	}
	load.wall = time.Since(start)
	load.requests = e.sim.Stats().Requests.Events - before
	return load, nil
}

func printScale(w io.Writer, s Settings, rows []scaleRow) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "stored events\tbackfill wall\tevents/s\tagent CPU-s\tevents/CPU-s\tpeak RSS MiB\t"+
		"backfill requests\tidle poll requests\tidle poll MiB\trequests after new\t"+
		"reference requests/interval\treference MiB/interval\t")
	for _, r := range rows {
		b := r.backfill
		fmt.Fprintf(tw, "%d\t%s\t%.0f\t%.2f\t%.0f\t%.1f\t%d\t%d\t%.2f\t%d\t%d\t%.1f\t\n", r.stored,
			b.wall.Round(time.Millisecond), float64(b.events)/b.wall.Seconds(), b.cpu.Seconds(), b.perCPUSecond(),
			float64(b.maxRSS)/(1<<20), b.requests, r.idle.requests, float64(r.idle.bytesRead)/(1<<20),
			r.incremental.requests, r.reference.requests, float64(r.reference.bytes)/(1<<20))
	}
	tw.Flush()
	fmt.Fprintf(w, "\nidle poll: akship run --once with nothing new; requests after new: after %d new events.\n"+
		"reference: one interval of Elastic's integration (every stored event, page_size %d), measured on the same simulator.\n",
		s.NewEvents, referencePageSize)
	for _, r := range rows {
		fmt.Fprintf(w, "  %d stored: reference interval took %s; akship idle poll peak RSS %.1f MiB, %s\n", r.stored,
			r.reference.wall.Round(time.Millisecond), float64(r.idle.maxRSS)/(1<<20), r.idle.wall.Round(time.Millisecond))
	}
}
