package models

import (
	"math"
	"sort"
	"time"
)

// The dashboard's arithmetic: pure functions over what the queries read
// (dashboard_queries.go), table-tested on their own.

// DurationBucketBounds are the bounds, in hours, of the durations'
// buckets: under a day, 1–3 days, 3–7 days, 1–2 weeks, 2–4 weeks, more.
var DurationBucketBounds = []int{0, 24, 72, 168, 336, 672}

// durationStats sums up durations given in hours.
func durationStats(hours []float64) DurationStats {
	out := DurationStats{Count: len(hours), Buckets: durationBuckets(hours)}
	if len(hours) == 0 {
		return out
	}
	sorted := append([]float64(nil), hours...)
	sort.Float64s(sorted)
	med, p90 := round1(percentile(sorted, 0.5)), round1(percentile(sorted, 0.9))
	out.MedianHours, out.P90Hours = &med, &p90
	return out
}

// percentile of sorted values, interpolating linearly between the two
// nearest ranks (the "R-7" rule of spreadsheets and numpy): the median of
// 24 and 48 hours is 36.
func percentile(sorted []float64, q float64) float64 {
	if len(sorted) == 1 {
		return sorted[0]
	}
	h := q * float64(len(sorted)-1)
	lo := int(math.Floor(h))
	if lo >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}

// durationBuckets counts durations per DurationBucketBounds.
func durationBuckets(hours []float64) []DurationBucket {
	out := make([]DurationBucket, len(DurationBucketBounds))
	for i, from := range DurationBucketBounds {
		out[i].FromHours = from
		if i+1 < len(DurationBucketBounds) {
			to := DurationBucketBounds[i+1]
			out[i].ToHours = &to
		}
	}
	for _, h := range hours {
		i := sort.SearchInts(DurationBucketBounds, int(math.Floor(h))+1) - 1
		out[max(i, 0)].Count++
	}
	return out
}

// round1 rounds to a tenth (of an hour: six minutes), which is as precise
// as the figures need to be and keeps the JSON short.
func round1(x float64) float64 { return math.Round(x*10) / 10 }

// hoursBetween is the duration from a to b in hours.
func hoursBetween(a, b time.Time) float64 { return b.Sub(a).Hours() }

// workflowStep is a revision that records a submission or an approval.
type workflowStep struct {
	MeasureID int64
	Number    int
	Reason    string
	At        time.Time
}

// decision is a review taken in the period: on which revision (the one
// submitted), with what decision, when.
type decision struct {
	MeasureID int64
	Decision  string
	Revision  int
	At        time.Time
}

// reviewDurations pairs each decision with the steps of its measure
// (ordered by number):
//
//   - time in review runs from the submission the reviewer read (the
//     latest submit revision up to the reviewed one) to the decision;
//   - time to approval runs, for an approval, from the first submission
//     after the measure's previous approval (or ever: the first one of a
//     new measure, the first one of an amendment) to the approval, so it
//     counts the rounds of changes in between.
//
// A decision whose submission is not recorded (data from before the
// workflow kept revisions) counts in neither.
func reviewDurations(decisions []decision, steps map[int64][]workflowStep) (inReview, toApproval []float64) {
	for _, d := range decisions {
		var submitted, firstSubmit time.Time
		approvedBefore := 0
		for _, s := range steps[d.MeasureID] {
			if s.Number > d.Revision {
				break
			}
			switch s.Reason {
			case string(TransApprove):
				approvedBefore = s.Number
				firstSubmit = time.Time{}
			case string(TransSubmit):
				submitted = s.At
				if firstSubmit.IsZero() && s.Number > approvedBefore {
					firstSubmit = s.At
				}
			}
		}
		if submitted.IsZero() {
			continue
		}
		inReview = append(inReview, hoursBetween(submitted, d.At))
		if d.Decision == DecisionApproved {
			toApproval = append(toApproval, hoursBetween(firstSubmit, d.At))
		}
	}
	return inReview, toApproval
}

// pendingReviews sums up the measures waiting for a review at now.
func pendingReviews(items []PendingReview, now time.Time) PendingReviews {
	out := PendingReviews{Count: int64(len(items)), Items: []PendingReview{}}
	hours := make([]float64, len(items))
	for i := range items {
		items[i].WaitingHours = round1(hoursBetween(items[i].Since, now))
		hours[i] = items[i].WaitingHours
	}
	out.Buckets = durationBuckets(hours)
	sort.SliceStable(items, func(i, j int) bool {
		if !items[i].Since.Equal(items[j].Since) {
			return items[i].Since.Before(items[j].Since)
		}
		return items[i].MeasureID < items[j].MeasureID
	})
	if len(items) > 0 {
		oldest := items[0].WaitingHours
		out.OldestHours = &oldest
	}
	out.Items = append(out.Items, items[:min(len(items), dashboardTop)]...)
	return out
}
