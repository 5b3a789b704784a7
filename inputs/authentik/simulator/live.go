package simulator

import (
	"context"
	"time"
)

// liveTick is how often Run applies the insert and expire rates.
const liveTick = 50 * time.Millisecond

// Run inserts and expires events at Options.InsertRate and
// Options.ExpireRate until ctx is done, then returns nil. With both rates
// zero it just waits. Call it at most once, typically in its own goroutine.
func (s *Simulator) Run(ctx context.Context) error {
	if s.opts.InsertRate == 0 && s.opts.ExpireRate == 0 {
		<-ctx.Done()
		return nil
	}
	t := time.NewTicker(liveTick)
	defer t.Stop()
	last := time.Now()
	var insertDue, expireDue float64
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-t.C:
			elapsed := now.Sub(last).Seconds()
			last = now
			insertDue += s.opts.InsertRate * elapsed
			expireDue += s.opts.ExpireRate * elapsed
			if n := int(insertDue); n > 0 {
				insertDue -= float64(n)
				s.insert(n, s.opts.InsertSkew)
			}
			if n := int(expireDue); n > 0 {
				expireDue -= float64(n)
				s.ExpireOldest(n)
			}
		}
	}
}

// InsertEvents inserts n new events created now (Options.Now) and returns
// their uuids in insertion order.
func (s *Simulator) InsertEvents(n int) []string {
	return s.insert(n, 0)
}

// InsertEventsAt inserts n events stamped created (a late row: an app
// server with a lagging clock, or a slow transaction, writes it after
// newer ones) and returns their uuids.
func (s *Simulator) InsertEventsAt(created time.Time, n int) []string {
	return s.insertAt(created.UnixMicro(), n, 0)
}

// insert adds n events stamped now − random[0, skew).
func (s *Simulator) insert(n int, skew time.Duration) []string {
	return s.insertAt(s.opts.Now().UnixMicro(), n, skew)
}

// insertAt adds n events stamped now − random[0, skew) (now in µs).
func (s *Simulator) insertAt(now int64, n int, skew time.Duration) []string {
	if n <= 0 {
		return []string{}
	}
	pks := make([]string, n)
	s.mu.Lock()
	for i := range pks {
		created := now
		if skew > 0 {
			created -= int64(s.live.intn(int(skew.Microseconds()) + 1))
		}
		rec := s.store.newRec(s.gen, created)
		s.store.insert(rec)
		pks[i] = formatUUID(rec.pk)
	}
	s.mu.Unlock()
	s.counters.inserted.Add(uint64(n))
	return pks
}

// ExpireOldest deletes up to n of the oldest events, as authentik's
// retention cleanup does, and returns how many it deleted.
func (s *Simulator) ExpireOldest(n int) int {
	s.mu.Lock()
	n = s.store.expireOldest(n)
	s.mu.Unlock()
	s.counters.expired.Add(uint64(n))
	return n
}

// DeleteEvent deletes the event with the given uuid wherever it is (admins
// can delete events through the API) and reports whether it existed.
func (s *Simulator) DeleteEvent(pk string) bool {
	id, ok := parseUUID(pk)
	if !ok {
		return false
	}
	s.mu.Lock()
	ok = s.store.delete(id)
	s.mu.Unlock()
	if ok {
		s.counters.deleted.Add(1)
	}
	return ok
}

// EventPKs returns the uuids of all stored events, newest first (the
// default -created order).
func (s *Simulator) EventPKs() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	recs := s.store.recs
	pks := make([]string, len(recs))
	for i := range recs {
		pks[i] = formatUUID(recs[len(recs)-1-i].pk)
	}
	return pks
}

// CountEvents returns the number of stored events.
func (s *Simulator) CountEvents() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.store.recs)
}

// TouchUser sets the user's last_login to now, so a directory snapshot
// differs from the previous one. It reports whether the user exists.
func (s *Simulator) TouchUser(pk int) bool {
	u, ok := s.dir.byPK[pk]
	if !ok {
		return false
	}
	now := s.opts.Now().UnixMicro()
	s.mu.Lock()
	if now == u.lastLogin {
		now++ // always a visible change, even with a frozen test clock
	}
	u.lastLogin = now
	s.mu.Unlock()
	return true
}
