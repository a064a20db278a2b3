package service

import "context"

// ctx is the context of the current call: the caller's when the call came
// through Scoped (an HTTP request that ends when the browser goes away),
// else the app's. Work that must outlive the call (training, a chat
// stream) uses deps.Context instead.
func (d Deps) ctx() context.Context {
	if d.call != nil {
		return d.call
	}
	return d.Context
}

// Scoped returns the services as Named does, but bound to ctx: long reads
// (dataset statistics, previews, downloads, exports) stop when ctx ends.
// Wails binds methods without a context parameter, so the HTTP transport
// calls each request's methods on such a copy instead. The copies share
// every piece of state (run queue, chat streams) with s.
func (s *Services) Scoped(ctx context.Context) map[string]any {
	scope := func(d Deps) Deps {
		d.call = ctx
		return d
	}
	runs := *s.Runs
	runs.deps = scope(runs.deps)
	chat := &Chat{deps: scope(s.Chat.deps), runs: &runs, engine: s.Chat.engine, streams: s.Chat.streams}
	return map[string]any{
		"System":   &System{deps: scope(s.System.deps)},
		"Settings": &Settings{deps: scope(s.Settings.deps)},
		"Models":   &Models{deps: scope(s.Models.deps)},
		"Export":   &Export{deps: scope(s.Export.deps), runs: &runs},
		"Chat":     chat,
		"Datasets": &Datasets{deps: scope(s.Datasets.deps)},
		"Runs":     &runs,
	}
}
