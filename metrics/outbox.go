package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"accountd"
)

var (
	outboxPending = prometheus.NewDesc("accountd_outbox_pending",
		"Mails queued and not yet delivered.", nil, nil)
	outboxOldest = prometheus.NewDesc("accountd_outbox_oldest_pending_seconds",
		"Age of the oldest mail not yet delivered; 0 when none waits.", nil, nil)
)

// outbox reads the mail outbox's backlog from the store at each scrape:
// every instance queues into the same outbox, so none could count it alone.
type outbox struct {
	store accountd.Store
	now   func() time.Time
}

// WatchOutbox reports the backlog of store's outbox.
func (m *Metrics) WatchOutbox(store accountd.Store) {
	m.registry.MustRegister(outbox{store: store, now: time.Now})
}

func (o outbox) Describe(ch chan<- *prometheus.Desc) {
	ch <- outboxPending
	ch <- outboxOldest
}

func (o outbox) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	pending, oldest, err := o.store.OutboxBacklog(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(outboxPending, err)
		return
	}
	age := 0.0
	if pending > 0 {
		age = max(0, o.now().Sub(oldest).Seconds())
	}
	ch <- prometheus.MustNewConstMetric(outboxPending, prometheus.GaugeValue, float64(pending))
	ch <- prometheus.MustNewConstMetric(outboxOldest, prometheus.GaugeValue, age)
}
