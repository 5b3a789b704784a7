package mapping

import (
	"maps"
	"slices"
	"strings"
)

// editNode is a level of an edit tree: dotted paths split into nested
// maps, so each map along the paths is copied once, however many paths go
// through it.
type editNode map[string]any

// removeMark marks a path to remove in an edit tree.
type removeMark struct{}

// buildEdits turns dotted paths and their new values into an edit tree.
func buildEdits(values map[string]any) editNode {
	root := editNode{}
	// Sorted, so that when one path is a prefix of another the longer one
	// reliably wins.
	for _, path := range slices.Sorted(maps.Keys(values)) {
		v := values[path]
		node := root
		parts := strings.Split(path, ".")
		for _, p := range parts[:len(parts)-1] {
			next, ok := node[p].(editNode)
			if !ok {
				next = editNode{}
				node[p] = next
			}
			node = next
		}
		node[parts[len(parts)-1]] = v
	}
	return root
}

// applyEdits returns a copy of m with the edits applied; m is not changed.
// Maps along an edited path are copied, everything else is shared. A
// value is set (creating missing maps on its way, replacing a non-map in
// the way), a removeMark deletes the key; removing under a missing or
// non-map parent does nothing.
func applyEdits(m map[string]any, edits editNode) map[string]any {
	out := make(map[string]any, len(m)+len(edits))
	for k, v := range m {
		out[k] = v
	}
	for k, e := range edits {
		switch e := e.(type) {
		case removeMark:
			delete(out, k)
		case editNode:
			child, ok := out[k].(map[string]any)
			if !ok {
				if onlyRemovals(e) {
					continue
				}
				child = nil
			}
			out[k] = applyEdits(child, e)
		default:
			out[k] = e
		}
	}
	return out
}

func onlyRemovals(n editNode) bool {
	for _, e := range n {
		switch e := e.(type) {
		case removeMark:
		case editNode:
			if !onlyRemovals(e) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// withPaths returns a copy of m with each dotted path set to its value.
func withPaths(m map[string]any, values map[string]any) map[string]any {
	return applyEdits(m, buildEdits(values))
}

// withoutPaths returns a copy of m without the dotted paths.
func withoutPaths(m map[string]any, paths []string) map[string]any {
	values := make(map[string]any, len(paths))
	for _, p := range paths {
		values[p] = removeMark{}
	}
	return applyEdits(m, buildEdits(values))
}

// deepMerge returns a copy of base with patch merged in: maps present on
// both sides are merged recursively, any other value of patch replaces
// base's. Neither input is changed.
func deepMerge(base, patch map[string]any) map[string]any {
	out := make(map[string]any, len(base)+len(patch))
	for k, v := range base {
		out[k] = v
	}
	for k, pv := range patch {
		pm, pIsMap := pv.(map[string]any)
		bm, bIsMap := out[k].(map[string]any)
		if pIsMap && bIsMap {
			out[k] = deepMerge(bm, pm)
			continue
		}
		out[k] = pv
	}
	return out
}
