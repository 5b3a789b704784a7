package agent

import "testing"

// Counts knows no dataset in advance: any label an input gives its events
// is counted, and AddCounts carries every label's tallies over.
func TestCountsAnyLabel(t *testing.T) {
	var c Counts
	evs := []*Event{{Dataset: "a"}, {Dataset: "a"}, {Dataset: "b"}, {Dataset: "a"}}
	c.addEvents(read, evs)
	c.addItems(delivered, []item{{ev: evs[0]}, {ev: evs[2]}})
	c.addItems(abandoned, []item{{ev: evs[1]}})
	if c.Read("a") != 3 || c.Read("b") != 1 || c.Delivered("a") != 1 || c.Delivered("b") != 1 ||
		c.Abandoned("a") != 1 || c.DeadLettered("a") != 0 || c.Read("never") != 0 {
		t.Errorf("read %d+%d, delivered %d+%d, abandoned %d", c.Read("a"), c.Read("b"), c.Delivered("a"),
			c.Delivered("b"), c.Abandoned("a"))
	}
	var total Counts
	total.AddCounts(&c)
	total.AddCounts(&c)
	if total.Read("a") != 6 || total.Delivered("b") != 2 || total.Abandoned("a") != 2 {
		t.Errorf("after adding twice: read %d, delivered %d, abandoned %d", total.Read("a"), total.Delivered("b"),
			total.Abandoned("a"))
	}
}
