package bench

import (
	"context"
	"fmt"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"google.golang.org/protobuf/proto"
)

// History is what the histories of a variant's dossiers hold.
type History struct {
	Variant  string `json:"variant"`
	Dossiers int    `json:"dossiers"`
	// Events is the mean number of history events per dossier, and
	// EventsMin and EventsMax the fewest and most of one dossier.
	Events    float64 `json:"events"`
	EventsMin int     `json:"events_min"`
	EventsMax int     `json:"events_max"`
	// Bytes is the mean encoded size of a dossier's history.
	Bytes float64 `json:"bytes"`
	// ByType is the mean number of events of each type per dossier.
	ByType map[string]float64 `json:"by_type"`
	// TimersLeft is the mean number of timers per dossier that were
	// started and neither fired nor were cancelled: each would fire later
	// on a dossier still open (see Report.Markdown).
	TimersLeft float64 `json:"timers_left"`
	// Activities is the mean number of runs of each activity per
	// dossier, as the worker counted them ("Type (local)" for local
	// activities), over the rounds whose histories these are.
	Activities map[string]float64 `json:"activities"`
}

// histories reads the histories of dossiers of a variant and counts their
// events.
func (e *engine) histories(ctx context.Context, variant string, codes []string) (History, error) {
	h := History{Variant: variant, Dossiers: len(codes), ByType: map[string]float64{}, EventsMin: -1}
	total, bytes := 0, 0
	for _, code := range codes {
		it := e.client.GetWorkflowHistory(ctx, code, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		n := 0
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				return h, fmt.Errorf("reading the history of %s: %w", code, err)
			}
			n++
			bytes += proto.Size(ev)
			h.ByType[eventTypeName(ev.GetEventType())]++
		}
		total += n
		if h.EventsMin < 0 || n < h.EventsMin {
			h.EventsMin = n
		}
		h.EventsMax = max(h.EventsMax, n)
	}
	if len(codes) == 0 {
		return h, nil
	}
	d := float64(len(codes))
	h.Events = float64(total) / d
	h.Bytes = float64(bytes) / d
	for k := range h.ByType {
		h.ByType[k] /= d
	}
	h.TimersLeft = h.ByType["TimerStarted"] - h.ByType["TimerFired"] - h.ByType["TimerCanceled"]
	return h, nil
}

// eventTypeName is an event type as the Temporal UI shows it, e.g.
// ActivityTaskScheduled.
func eventTypeName(t enumspb.EventType) string {
	s := t.String()
	if !strings.HasPrefix(s, "EVENT_TYPE_") {
		return s
	}
	var b strings.Builder
	for _, w := range strings.Split(strings.TrimPrefix(s, "EVENT_TYPE_"), "_") {
		b.WriteString(w[:1] + strings.ToLower(w[1:]))
	}
	return b.String()
}
