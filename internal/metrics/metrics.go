// Package metrics is motcua's Prometheus registry: HTTP request durations,
// the latency of people's actions as Temporal Updates, the projection lag
// of the read model, and gauges read from the read model at each scrape
// (dossiers by procedure and status, open and overdue tasks). Served at
// /metrics by the API.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/motcua/motcua/internal/store"
)

// StatsSource is what the gauges are read from: the read model.
type StatsSource interface {
	Stats(ctx context.Context, now time.Time) (store.Stats, error)
}

// Metrics holds the collectors. Its methods are safe for concurrent use
// and do nothing on a nil *Metrics.
type Metrics struct {
	registry      *prometheus.Registry
	httpDuration  *prometheus.HistogramVec
	updateLatency *prometheus.HistogramVec
	projectionLag prometheus.Histogram
}

// latencyBuckets span a fast loopback Update (a few ms) to a slow one.
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// New returns a registry with the Go and process collectors, motcua's
// histograms and, when stats is not nil, the read-model gauges.
func New(stats StatsSource, log *slog.Logger) *Metrics {
	if log == nil {
		log = slog.Default()
	}
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "motcua_http_request_duration_seconds", Help: "HTTP requests by route, method and status code.",
			Buckets: latencyBuckets,
		}, []string{"route", "method", "code"}),
		updateLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "motcua_update_latency_seconds", Help: "People's actions sent to dossier workflows as Temporal Updates, by update name and outcome (accepted, rejected, error).",
			Buckets: latencyBuckets,
		}, []string{"update", "outcome"}),
		projectionLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "motcua_projection_lag_seconds", Help: "Time from a dossier event to its arrival in the read model.",
			Buckets: latencyBuckets,
		}),
	}
	m.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.httpDuration, m.updateLatency, m.projectionLag)
	if stats != nil {
		m.registry.MustRegister(&readModel{stats: stats, log: log})
	}
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{ErrorLog: nil})
}

// Registry returns the registry, for tests and extra collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// ObserveHTTP records one HTTP request.
func (m *Metrics) ObserveHTTP(route, method string, code int, d time.Duration) {
	if m == nil {
		return
	}
	m.httpDuration.WithLabelValues(route, method, strconv.Itoa(code)).Observe(d.Seconds())
}

// ObserveUpdate records one Update round trip.
func (m *Metrics) ObserveUpdate(name, outcome string, d time.Duration) {
	if m == nil {
		return
	}
	m.updateLatency.WithLabelValues(name, outcome).Observe(d.Seconds())
}

// ObserveProjection records the lag of one projection.
func (m *Metrics) ObserveProjection(lag time.Duration) {
	if m == nil {
		return
	}
	m.projectionLag.Observe(max(lag, 0).Seconds())
}

// readModel reads the gauges from the read model at each scrape.
type readModel struct {
	stats StatsSource
	log   *slog.Logger
}

var (
	dossiersDesc = prometheus.NewDesc("motcua_dossiers", "Dossiers in the read model by procedure and national status (1–10).",
		[]string{"procedure", "status"}, nil)
	openTasksDesc    = prometheus.NewDesc("motcua_open_tasks", "Open tasks waiting for officers or applicants.", nil, nil)
	overdueTasksDesc = prometheus.NewDesc("motcua_overdue_tasks", "Open tasks past their due time.", nil, nil)
	lastProjDesc     = prometheus.NewDesc("motcua_read_model_last_update_timestamp_seconds",
		"When the read model last received a projection (Unix time).", nil, nil)
	scrapeErrDesc = prometheus.NewDesc("motcua_read_model_scrape_error", "1 when the read model could not be read at this scrape.", nil, nil)
)

func (r *readModel) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{dossiersDesc, openTasksDesc, overdueTasksDesc, lastProjDesc, scrapeErrDesc} {
		ch <- d
	}
}

func (r *readModel) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := r.stats.Stats(ctx, time.Now())
	if err != nil {
		r.log.Warn("metrics: reading the read model", "err", err)
		ch <- prometheus.MustNewConstMetric(scrapeErrDesc, prometheus.GaugeValue, 1)
		return
	}
	ch <- prometheus.MustNewConstMetric(scrapeErrDesc, prometheus.GaugeValue, 0)
	for _, c := range st.Dossiers {
		ch <- prometheus.MustNewConstMetric(dossiersDesc, prometheus.GaugeValue, float64(c.N), c.Procedure, strconv.Itoa(int(c.Status)))
	}
	ch <- prometheus.MustNewConstMetric(openTasksDesc, prometheus.GaugeValue, float64(st.OpenTasks))
	ch <- prometheus.MustNewConstMetric(overdueTasksDesc, prometheus.GaugeValue, float64(st.OverdueTasks))
	if !st.LastProjectedAt.IsZero() {
		ch <- prometheus.MustNewConstMetric(lastProjDesc, prometheus.GaugeValue, float64(st.LastProjectedAt.UnixMilli())/1000)
	}
}
