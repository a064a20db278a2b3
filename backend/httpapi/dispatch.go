package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"runtime/debug"
	"sort"
	"strings"
)

var errorType = reflect.TypeOf((*error)(nil)).Elem()

// method is one callable service method, described once at start-up.
type method struct {
	service string
	name    string
	recv    reflect.Value // the value from Options.Services
	index   int           // the method's index in recv's method set
	bound   reflect.Type  // its type once bound to a receiver
	in      []reflect.Type
	returns []reflect.Type
}

// dispatcher maps "Service.Method" to the bound methods of service values,
// with the same calling convention Wails uses for its bindings: positional
// arguments, one result and/or an error.
type dispatcher struct {
	methods map[string]method
}

func newDispatcher(services map[string]any) (*dispatcher, error) {
	d := &dispatcher{methods: map[string]method{}}
	for name, svc := range services {
		v := reflect.ValueOf(svc)
		if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
			return nil, fmt.Errorf("service %s: want a pointer to a struct, got %T", name, svc)
		}
		t := v.Type()
		for i := 0; i < t.NumMethod(); i++ {
			m := t.Method(i)
			mt := m.Type
			var in, out []reflect.Type
			for j := 1; j < mt.NumIn(); j++ { // skip the receiver
				in = append(in, mt.In(j))
			}
			for j := 0; j < mt.NumOut(); j++ {
				out = append(out, mt.Out(j))
			}
			if len(out) > 2 || (len(out) == 2 && out[1] != errorType) {
				return nil, fmt.Errorf("service method %s.%s: results must be (T), (error) or (T, error)", name, m.Name)
			}
			d.methods[name+"."+m.Name] = method{
				service: name, name: m.Name, recv: v, index: i, bound: v.Method(i).Type(), in: in, returns: out,
			}
		}
	}
	return d, nil
}

// names lists the callable methods, sorted.
func (d *dispatcher) names() []string {
	out := make([]string, 0, len(d.methods))
	for k := range d.methods {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// callError tells the transport which status to answer with.
type callError struct {
	status int
	err    error
}

func (e *callError) Error() string { return e.err.Error() }
func (e *callError) Unwrap() error { return e.err }

// call decodes the JSON array args, invokes the method on the receiver
// scope gives for ctx (or on the static service when scope is nil) and
// returns its result. Panics in the method become errors, never a crashed
// server.
func (d *dispatcher) call(ctx context.Context, scope func(context.Context) map[string]any, name string, body []byte) (result any, err error) {
	m, ok := d.methods[name]
	if !ok {
		return nil, &callError{404, fmt.Errorf("unknown method %s", name)}
	}
	var raw []json.RawMessage
	if len(body) > 0 {
		if err := json.Unmarshal(body, &raw); err != nil {
			return nil, &callError{400, fmt.Errorf("%s: arguments must be a JSON array: %w", name, err)}
		}
	}
	if len(raw) != len(m.in) {
		return nil, &callError{400, fmt.Errorf("%s takes %d argument(s), got %d", name, len(m.in), len(raw))}
	}
	args := make([]reflect.Value, len(m.in))
	for i, t := range m.in {
		p := reflect.New(t)
		if err := json.Unmarshal(raw[i], p.Interface()); err != nil {
			return nil, &callError{400, fmt.Errorf("%s: argument %d: %w", name, i+1, err)}
		}
		args[i] = p.Elem()
	}
	defer func() {
		if r := recover(); r != nil {
			result = nil
			err = &callError{500, fmt.Errorf("%s failed unexpectedly: %v\n%s", name, r, debug.Stack())}
		}
	}()
	fn, err := m.resolve(ctx, scope)
	if err != nil {
		return nil, err
	}
	out := fn.Call(args)
	if n := len(m.returns); n > 0 && m.returns[n-1] == errorType {
		if e := out[n-1].Interface(); e != nil {
			return nil, &callError{422, e.(error)}
		}
		out = out[:n-1]
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out[0].Interface(), nil
}

// resolve binds the method to this call's receiver: the static service,
// or the value of the same name in scope(ctx). A scoped value of the same
// type reuses the table; one of another type must have a method of that
// name and exactly the same signature.
func (m method) resolve(ctx context.Context, scope func(context.Context) map[string]any) (reflect.Value, error) {
	if scope == nil {
		return m.recv.Method(m.index), nil
	}
	svc, ok := scope(ctx)[m.service]
	if !ok || svc == nil {
		return reflect.Value{}, &callError{500, fmt.Errorf("%s.%s: the request scope has no service %s", m.service, m.name, m.service)}
	}
	rv := reflect.ValueOf(svc)
	if rv.Type() == m.recv.Type() {
		return rv.Method(m.index), nil
	}
	fn := rv.MethodByName(m.name)
	if !fn.IsValid() || fn.Type() != m.bound {
		return reflect.Value{}, &callError{500, fmt.Errorf("%s.%s: the request scope's %s is a %T, without the method %s%s", m.service, m.name, m.service, svc, m.name, strings.TrimPrefix(m.bound.String(), "func"))}
	}
	return fn, nil
}

// statusOf picks the HTTP status for an error from call.
func statusOf(err error) int {
	var ce *callError
	if errors.As(err, &ce) {
		return ce.status
	}
	return 500
}
