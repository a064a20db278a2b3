package chattemplate

import (
	"fmt"
	"strconv"
)

type parser struct {
	chunks []chunk
	ci     int
	// token cursor inside the current tag
	toks []token
	ti   int
}

// Template is a parsed chat template. It is immutable and safe for
// concurrent Render calls.
type Template struct {
	body []node
}

// Parse parses a Jinja template in the dialect transformers uses for chat
// templates.
func Parse(src string) (*Template, error) {
	chunks, err := lex(src)
	if err != nil {
		return nil, fmt.Errorf("chat template: %w", err)
	}
	p := &parser{chunks: chunks}
	body, end, err := p.parseBody(nil)
	if err != nil {
		return nil, fmt.Errorf("chat template: %w", err)
	}
	if end != "" {
		return nil, fmt.Errorf("chat template: unexpected {%% %s %%}", end)
	}
	return &Template{body: body}, nil
}

type parseError struct {
	line int
	msg  string
}

func (e *parseError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

func (p *parser) fail(format string, args ...any) {
	line := 0
	if p.ti < len(p.toks) {
		line = p.toks[p.ti].line
	}
	panic(&parseError{line, fmt.Sprintf(format, args...)})
}

// parseBody parses nodes until one of the end keywords starts a statement;
// it returns that keyword ("" at end of input) with the tag's tokens current.
func (p *parser) parseBody(ends []string) (body []node, end string, err error) {
	defer func() {
		if r := recover(); r != nil {
			pe, ok := r.(*parseError)
			if !ok {
				panic(r)
			}
			err = pe
		}
	}()
	body, end = p.body(ends)
	return body, end, nil
}

func (p *parser) body(ends []string) ([]node, string) {
	var out []node
	for p.ci < len(p.chunks) {
		c := p.chunks[p.ci]
		p.ci++
		switch c.kind {
		case 't':
			out = append(out, &textNode{c.text})
		case 'o':
			p.toks, p.ti = c.tokens, 0
			e := p.expression()
			p.expectEnd()
			out = append(out, &outputNode{e})
		case 's':
			p.toks, p.ti = c.tokens, 0
			kw := p.next()
			if kw.kind != tkName {
				p.fail("expected a statement name")
			}
			for _, e := range ends {
				if kw.val == e {
					return out, kw.val
				}
			}
			out = append(out, p.statement(kw))
		}
	}
	if len(ends) > 0 {
		panic(&parseError{0, fmt.Sprintf("missing {%% %s %%}", ends[len(ends)-1])})
	}
	return out, ""
}

func (p *parser) statement(kw token) node {
	switch kw.val {
	case "if":
		n := &ifNode{}
		cond := p.expression()
		p.expectEnd()
		for {
			body, end := p.body([]string{"elif", "else", "endif"})
			n.conds = append(n.conds, cond)
			n.bodies = append(n.bodies, body)
			switch end {
			case "elif":
				cond = p.expression()
				p.expectEnd()
				continue
			case "else":
				p.expectEnd()
				n.orElse, _ = p.body([]string{"endif"})
			}
			p.expectEnd()
			return n
		}
	case "for":
		n := &forNode{}
		for {
			t := p.next()
			if t.kind != tkName {
				p.fail("expected a loop variable")
			}
			n.targets = append(n.targets, t.val)
			if !p.acceptOp(",") {
				break
			}
		}
		p.expectName("in")
		n.iter = p.orExpr() // stops before the loop filter's "if"
		if p.acceptName("if") {
			n.filter = p.expression()
		}
		p.acceptName("recursive")
		p.expectEnd()
		body, end := p.body([]string{"else", "endfor"})
		n.body = body
		if end == "else" {
			p.expectEnd()
			n.orElse, _ = p.body([]string{"endfor"})
		}
		p.expectEnd()
		return n
	case "set":
		n := &setNode{}
		t := p.next()
		if t.kind != tkName {
			p.fail("expected a name after set")
		}
		if p.acceptOp(".") {
			a := p.next()
			n.nsObj, n.nsAttr = t.val, a.val
		} else {
			n.targets = []string{t.val}
			for p.acceptOp(",") {
				n.targets = append(n.targets, p.next().val)
			}
		}
		if p.acceptOp("=") {
			n.value = p.expression()
			p.expectEnd()
			return n
		}
		p.expectEnd()
		n.body, _ = p.body([]string{"endset"})
		p.expectEnd()
		return n
	case "macro":
		n := &macroNode{name: p.next().val}
		p.expectOp("(")
		for !p.acceptOp(")") {
			n.params = append(n.params, p.next().val)
			var def expr
			if p.acceptOp("=") {
				def = p.expression()
			}
			n.defaults = append(n.defaults, def)
			if !p.acceptOp(",") {
				p.expectOp(")")
				break
			}
		}
		p.expectEnd()
		n.body, _ = p.body([]string{"endmacro"})
		p.expectEnd()
		return n
	case "break":
		p.expectEnd()
		return &breakNode{}
	case "continue":
		p.expectEnd()
		return &continueNode{}
	case "generation":
		// transformers' marker for assistant masks: render the body as is.
		p.expectEnd()
		body, _ := p.body([]string{"endgeneration"})
		p.expectEnd()
		return &ifNode{conds: []expr{&literal{true}}, bodies: [][]node{body}}
	}
	p.fail("unknown statement %q", kw.val)
	return nil
}

// Token helpers.

func (p *parser) peek() token { return p.toks[p.ti] }

func (p *parser) next() token {
	t := p.toks[p.ti]
	if t.kind != tkEnd {
		p.ti++
	}
	return t
}

func (p *parser) acceptOp(op string) bool {
	if t := p.peek(); t.kind == tkOp && t.val == op {
		p.ti++
		return true
	}
	return false
}

func (p *parser) acceptName(n string) bool {
	if t := p.peek(); t.kind == tkName && t.val == n {
		p.ti++
		return true
	}
	return false
}

func (p *parser) expectOp(op string) {
	if !p.acceptOp(op) {
		p.fail("expected %q, found %q", op, p.peek().val)
	}
}

func (p *parser) expectName(n string) {
	if !p.acceptName(n) {
		p.fail("expected %q, found %q", n, p.peek().val)
	}
}

func (p *parser) expectEnd() {
	if t := p.peek(); t.kind != tkEnd {
		p.fail("unexpected %q", t.val)
	}
}

// Expressions, lowest precedence first (Jinja2's grammar).

func (p *parser) expression() expr {
	e := p.orExpr()
	if p.acceptName("if") {
		c := &condExpr{then: e, cond: p.orExpr()}
		if p.acceptName("else") {
			c.orElse = p.expression()
		}
		return c
	}
	return e
}

// orExpr parses `or` chains (no inline if/else).
func (p *parser) orExpr() expr {
	l := p.andExpr()
	for p.acceptName("or") {
		l = &binExpr{"or", l, p.andExpr()}
	}
	return l
}

func (p *parser) andExpr() expr {
	l := p.notExpr()
	for p.acceptName("and") {
		l = &binExpr{"and", l, p.notExpr()}
	}
	return l
}

func (p *parser) notExpr() expr {
	if p.acceptName("not") {
		return &unExpr{"not", p.notExpr()}
	}
	return p.compare()
}

func (p *parser) compare() expr {
	first := p.addExpr()
	c := &compareExpr{first: first}
	for {
		t := p.peek()
		switch {
		case t.kind == tkOp && (t.val == "==" || t.val == "!=" || t.val == "<" || t.val == ">" || t.val == "<=" || t.val == ">="):
			p.ti++
			c.ops = append(c.ops, t.val)
		case t.kind == tkName && t.val == "in":
			p.ti++
			c.ops = append(c.ops, "in")
		case t.kind == tkName && t.val == "not" && p.toks[p.ti+1].kind == tkName && p.toks[p.ti+1].val == "in":
			p.ti += 2
			c.ops = append(c.ops, "not in")
		default:
			if len(c.ops) == 0 {
				return first
			}
			return c
		}
		c.rest = append(c.rest, p.addExpr())
	}
}

func (p *parser) addExpr() expr {
	l := p.concatExpr()
	for {
		if p.acceptOp("+") {
			l = &binExpr{"+", l, p.concatExpr()}
		} else if p.acceptOp("-") {
			l = &binExpr{"-", l, p.concatExpr()}
		} else {
			return l
		}
	}
}

func (p *parser) concatExpr() expr {
	l := p.mulExpr()
	for p.acceptOp("~") {
		l = &binExpr{"~", l, p.mulExpr()}
	}
	return l
}

func (p *parser) mulExpr() expr {
	l := p.powExpr()
	for {
		t := p.peek()
		if t.kind == tkOp && (t.val == "*" || t.val == "/" || t.val == "//" || t.val == "%") {
			p.ti++
			l = &binExpr{t.val, l, p.powExpr()}
			continue
		}
		return l
	}
}

func (p *parser) powExpr() expr {
	l := p.unary()
	for p.acceptOp("**") {
		l = &binExpr{"**", l, p.unary()}
	}
	return l
}

func (p *parser) unary() expr {
	if p.acceptOp("-") {
		return p.filtersAndTests(&unExpr{"-", p.unary()})
	}
	if p.acceptOp("+") {
		return p.filtersAndTests(&unExpr{"+", p.unary()})
	}
	return p.filtersAndTests(p.postfix(p.primary()))
}

func (p *parser) filtersAndTests(e expr) expr {
	for {
		switch {
		case p.acceptOp("|"):
			f := &filterExpr{obj: e, name: p.dottedName()}
			if p.acceptOp("(") {
				f.args, f.kwargs = p.callArgs()
			}
			e = f
		case p.acceptName("is"):
			t := &testExpr{obj: e, negate: p.acceptName("not")}
			t.name = p.dottedName()
			if p.acceptOp("(") {
				t.args, _ = p.callArgs()
			} else if nt := p.peek(); nt.kind == tkString || nt.kind == tkInt || nt.kind == tkFloat ||
				(nt.kind == tkName && nt.val != "and" && nt.val != "or" && nt.val != "else" && nt.val != "if" && nt.val != "is" && nt.val != "in" && nt.val != "not") {
				t.args = []expr{p.postfix(p.primary())}
			}
			e = t
		default:
			return e
		}
	}
}

func (p *parser) dottedName() string {
	t := p.next()
	if t.kind != tkName {
		p.fail("expected a filter or test name")
	}
	return t.val
}

func (p *parser) postfix(e expr) expr {
	for {
		switch {
		case p.acceptOp("."):
			t := p.next()
			if t.kind != tkName && t.kind != tkInt {
				p.fail("expected an attribute name")
			}
			e = &attrExpr{e, t.val}
		case p.acceptOp("["):
			e = p.subscript(e)
		case p.acceptOp("("):
			c := &callExpr{fn: e}
			c.args, c.kwargs = p.callArgs()
			e = c
		default:
			return e
		}
	}
}

func (p *parser) subscript(obj expr) expr {
	var parts [3]expr
	k := 0
	isSlice := false
	for {
		if p.acceptOp("]") {
			break
		}
		if p.acceptOp(":") {
			isSlice = true
			k++
			if k > 2 {
				p.fail("too many ':' in slice")
			}
			continue
		}
		parts[k] = p.expression()
	}
	if !isSlice {
		if parts[0] == nil {
			p.fail("empty subscript")
		}
		return &itemExpr{obj, parts[0]}
	}
	return &sliceExpr{obj, parts[0], parts[1], parts[2]}
}

// callArgs parses arguments after "(" up to ")".
func (p *parser) callArgs() ([]expr, []kwarg) {
	var args []expr
	var kws []kwarg
	for !p.acceptOp(")") {
		if t := p.peek(); t.kind == tkName && p.toks[p.ti+1].kind == tkOp && p.toks[p.ti+1].val == "=" {
			p.ti += 2
			kws = append(kws, kwarg{t.val, p.expression()})
		} else {
			args = append(args, p.expression())
		}
		if !p.acceptOp(",") {
			p.expectOp(")")
			break
		}
	}
	return args, kws
}

func (p *parser) primary() expr {
	t := p.next()
	switch t.kind {
	case tkString:
		s := t.val
		for p.peek().kind == tkString { // adjacent literals concatenate
			s += p.next().val
		}
		return &literal{s}
	case tkInt:
		n, err := strconv.ParseInt(t.val, 10, 64)
		if err != nil {
			p.fail("bad integer %q", t.val)
		}
		return &literal{int(n)}
	case tkFloat:
		f, err := strconv.ParseFloat(t.val, 64)
		if err != nil {
			p.fail("bad number %q", t.val)
		}
		return &literal{f}
	case tkName:
		switch t.val {
		case "true", "True":
			return &literal{true}
		case "false", "False":
			return &literal{false}
		case "none", "None":
			return &literal{nil}
		}
		return &nameExpr{t.val}
	case tkOp:
		switch t.val {
		case "(":
			if p.acceptOp(")") {
				return &tupleExpr{}
			}
			e := p.expression()
			if p.acceptOp(",") {
				items := []expr{e}
				for !p.acceptOp(")") {
					items = append(items, p.expression())
					if !p.acceptOp(",") {
						p.expectOp(")")
						break
					}
				}
				return &tupleExpr{items}
			}
			p.expectOp(")")
			return e
		case "[":
			l := &listExpr{}
			for !p.acceptOp("]") {
				l.items = append(l.items, p.expression())
				if !p.acceptOp(",") {
					p.expectOp("]")
					break
				}
			}
			return l
		case "{":
			d := &dictExpr{}
			for !p.acceptOp("}") {
				d.keys = append(d.keys, p.expression())
				p.expectOp(":")
				d.vals = append(d.vals, p.expression())
				if !p.acceptOp(",") {
					p.expectOp("}")
					break
				}
			}
			return d
		}
	}
	if t.kind == tkEnd {
		p.fail("unexpected end of tag")
	}
	p.fail("unexpected %q", t.val)
	return nil
}
