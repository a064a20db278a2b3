package chattemplate

// Statement nodes.
type (
	node interface{}

	textNode   struct{ text string }
	outputNode struct{ e expr }
	ifNode     struct {
		conds  []expr
		bodies [][]node
		orElse []node
	}
	forNode struct {
		targets []string
		iter    expr
		filter  expr
		body    []node
		orElse  []node
	}
	setNode struct {
		targets []string // plain names (several for tuple unpacking)
		nsObj   string   // set ns.attr = ...: the namespace variable
		nsAttr  string
		value   expr
		body    []node // {% set x %}...{% endset %}
	}
	macroNode struct {
		name     string
		params   []string
		defaults []expr // nil entries: required
		body     []node
	}
	breakNode    struct{}
	continueNode struct{}
)

// Expression nodes.
type (
	expr interface{}

	literal  struct{ val any }
	nameExpr struct{ name string }
	attrExpr struct {
		obj  expr
		name string
	}
	itemExpr  struct{ obj, key expr }
	sliceExpr struct {
		obj               expr
		start, stop, step expr
	}
	callExpr struct {
		fn     expr
		args   []expr
		kwargs []kwarg
	}
	filterExpr struct {
		obj    expr
		name   string
		args   []expr
		kwargs []kwarg
	}
	testExpr struct {
		obj    expr
		name   string
		args   []expr
		negate bool
	}
	binExpr struct {
		op   string
		l, r expr
	}
	unExpr struct {
		op string
		x  expr
	}
	compareExpr struct {
		first expr
		ops   []string
		rest  []expr
	}
	condExpr  struct{ cond, then, orElse expr }
	listExpr  struct{ items []expr }
	tupleExpr struct{ items []expr }
	dictExpr  struct{ keys, vals []expr }
)

type kwarg struct {
	name string
	val  expr
}
