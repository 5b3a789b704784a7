package simulator

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// A subset of DjangoQL, the query language authentik 2025.8+ accepts in
// `search`: comparisons (= != > >= < <= ~ !~) of a field with a string,
// number, True/False or None, combined with and/or and parentheses ("and"
// binds tighter). Lists ("in") and relations are not supported: such input
// is treated as not parsing, which makes authentik fall back to plain search.

// qlType is a searchable field's type.
type qlType uint8

const (
	qlStr qlType = iota
	qlTime
	qlBool
	qlInt
)

// qlField describes one searchable field.
type qlField struct {
	typ      qlType
	nullable bool
}

// qlSchema maps field names to their types.
type qlSchema map[string]qlField

// qlValue is a field value or a literal; null marks SQL NULL / None.
type qlValue struct {
	null bool
	s    string
	n    int64 // ints, booleans (0/1) and times (unix µs)
}

// qlRow gives the evaluator a row's field values.
type qlRow interface {
	qlValue(field string) qlValue
}

// qlNode is a parsed expression.
type qlNode interface {
	eval(row qlRow) bool
}

type qlLogic struct {
	and         bool
	left, right qlNode
}

func (n qlLogic) eval(row qlRow) bool {
	if n.and {
		return n.left.eval(row) && n.right.eval(row)
	}
	return n.left.eval(row) || n.right.eval(row)
}

type qlCompare struct {
	field string
	typ   qlType
	op    string
	val   qlValue
	like  string // lower-cased operand of ~ and !~
}

func (n qlCompare) eval(row qlRow) bool {
	v := row.qlValue(n.field)
	switch n.op {
	case "!=", "!~":
		// Django negates with NOT(...) and, for nullable columns, lets NULL
		// rows through.
		return v.null || !n.positive(v)
	}
	return n.positive(v)
}

func (n qlCompare) positive(v qlValue) bool {
	if n.val.null {
		return v.null // only = and != reach here with None
	}
	if v.null {
		return false
	}
	if n.op == "~" || n.op == "!~" {
		text := v.s
		if n.typ == qlTime {
			text = time.UnixMicro(v.n).UTC().Format("2006-01-02 15:04:05.999999") + "+00"
		}
		return strings.Contains(strings.ToLower(text), n.like)
	}
	c := 0
	if n.typ == qlStr {
		c = strings.Compare(v.s, n.val.s)
	} else if v.n < n.val.n {
		c = -1
	} else if v.n > n.val.n {
		c = 1
	}
	switch n.op {
	case "=", "!=":
		return c == 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	}
	return false
}

// qlToken is a lexical token: kind is "name", "str", "num" or the operator
// or parenthesis itself.
type qlToken struct {
	kind, text string
}

var errQL = errors.New("invalid DjangoQL expression")

func lexQL(s string) ([]qlToken, error) {
	var toks []qlToken
	for i := 0; i < len(s); {
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case unicode.IsSpace(c):
			i += size
		case c == '(' || c == ')':
			toks = append(toks, qlToken{kind: string(c)})
			i++
		case strings.ContainsRune("=!<>~", c):
			op := s[i : i+1]
			if i+1 < len(s) && (s[i+1] == '=' || (c == '!' && s[i+1] == '~')) {
				op = s[i : i+2]
			}
			if op == "!" {
				return nil, errQL
			}
			toks = append(toks, qlToken{kind: op})
			i += len(op)
		case c == '"':
			str, n, err := lexString(s[i:])
			if err != nil {
				return nil, err
			}
			toks = append(toks, qlToken{kind: "str", text: str})
			i += n
		case c == '-' || unicode.IsDigit(c):
			j := i + 1
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
				j++
			}
			toks = append(toks, qlToken{kind: "num", text: s[i:j]})
			i = j
		case c == '_' || unicode.IsLetter(c):
			j := i
			for j < len(s) && (s[j] == '_' || s[j] == '.' || s[j] >= '0' && s[j] <= '9' || unicode.IsLetter(rune(s[j]))) {
				j++
			}
			toks = append(toks, qlToken{kind: "name", text: s[i:j]})
			i = j
		default:
			return nil, errQL
		}
	}
	return toks, nil
}

// lexString reads a double-quoted string with JSON-style escapes.
func lexString(s string) (string, int, error) {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			v, err := strconv.Unquote(s[:i+1])
			if err != nil {
				return "", 0, errQL
			}
			return v, i + 1, nil
		}
	}
	return "", 0, errQL
}

var qlOperators = map[string]bool{"=": true, "!=": true, ">": true, ">=": true, "<": true, "<=": true, "~": true, "!~": true}

// qlParser is a recursive-descent parser over the token list.
type qlParser struct {
	toks   []qlToken
	pos    int
	schema qlSchema
}

// parseQL parses and validates an expression against schema.
func parseQL(s string, schema qlSchema) (qlNode, error) {
	toks, err := lexQL(s)
	if err != nil {
		return nil, err
	}
	p := &qlParser{toks: toks, schema: schema}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, errQL
	}
	return n, nil
}

func (p *qlParser) peek() qlToken {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return qlToken{}
}

func (p *qlParser) keyword(word string) bool {
	t := p.peek()
	if t.kind == "name" && t.text == word {
		p.pos++
		return true
	}
	return false
}

func (p *qlParser) or() (qlNode, error) {
	left, err := p.and()
	for err == nil && p.keyword("or") {
		var right qlNode
		right, err = p.and()
		left = qlLogic{left: left, right: right}
	}
	return left, err
}

func (p *qlParser) and() (qlNode, error) {
	left, err := p.primary()
	for err == nil && p.keyword("and") {
		var right qlNode
		right, err = p.primary()
		left = qlLogic{and: true, left: left, right: right}
	}
	return left, err
}

func (p *qlParser) primary() (qlNode, error) {
	if p.peek().kind == "(" {
		p.pos++
		n, err := p.or()
		if err != nil || p.peek().kind != ")" {
			return nil, errQL
		}
		p.pos++
		return n, nil
	}
	return p.comparison()
}

func (p *qlParser) comparison() (qlNode, error) {
	if p.pos+3 > len(p.toks) {
		return nil, errQL
	}
	name, op, lit := p.toks[p.pos], p.toks[p.pos+1], p.toks[p.pos+2]
	p.pos += 3
	if name.kind != "name" || !qlOperators[op.kind] {
		return nil, errQL
	}
	f, ok := p.schema[name.text]
	if !ok {
		return nil, fmt.Errorf("unknown field %q", name.text)
	}
	val, err := qlLiteral(f, op.kind, lit)
	if err != nil {
		return nil, err
	}
	n := qlCompare{field: name.text, typ: f.typ, op: op.kind, val: val}
	if op.kind == "~" || op.kind == "!~" {
		n.like = strings.ToLower(lit.text)
	}
	return n, nil
}

// qlLiteral validates a literal against the field like DjangoQL's schema.
func qlLiteral(f qlField, op string, lit qlToken) (qlValue, error) {
	if lit.kind == "name" && lit.text == "None" {
		if !f.nullable || (op != "=" && op != "!=") {
			return qlValue{}, errQL
		}
		return qlValue{null: true}, nil
	}
	like := op == "~" || op == "!~"
	switch f.typ {
	case qlStr:
		if lit.kind != "str" {
			return qlValue{}, errQL
		}
		return qlValue{s: lit.text}, nil
	case qlTime:
		if lit.kind != "str" {
			return qlValue{}, errQL
		}
		if like {
			return qlValue{s: lit.text}, nil
		}
		t, err := parseQLTime(lit.text)
		return qlValue{n: t}, err
	case qlBool:
		if lit.kind != "name" || (lit.text != "True" && lit.text != "False") || (op != "=" && op != "!=") {
			return qlValue{}, errQL
		}
		return qlValue{n: boolInt(lit.text == "True")}, nil
	default:
		n, err := strconv.ParseInt(lit.text, 10, 64)
		if lit.kind != "num" || err != nil || like {
			return qlValue{}, errQL
		}
		return qlValue{n: n}, nil
	}
}

// parseQLTime parses DjangoQL's datetime literal formats, picking the layout
// by length as DjangoQL does ("YYYY-MM-DD", then " HH:MM", then ":SS"), in
// UTC (authentik's TIME_ZONE). Fractional seconds are not accepted.
func parseQLTime(s string) (int64, error) {
	layout := "2006-1-2"
	if len(s) > 10 {
		layout += " 15:4"
	}
	if len(s) > 16 {
		layout += ":5"
	}
	t, err := time.ParseInLocation(layout, s, time.UTC)
	// Go's parser tolerates a fractional second the layout lacks; Python's
	// strptime (and so DjangoQL) does not.
	if err != nil || strings.Contains(s, ".") {
		return 0, errQL
	}
	return t.UnixMicro(), nil
}
