package dsl

import (
	"cmp"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// conforms reports whether v is valid against s, deciding it on the parsed
// tree directly. It is the fast path of the schema check: the validator
// needs the document converted to Go values and builds a location string
// for every value it visits, which made it a third of the cost of loading
// a large definition. conforms only answers yes or no; when the answer is
// no, the validator runs to say why. A schema using keywords conforms does
// not implement (see conformable) is left to the validator.
// TestConformsAgreesWithTheValidator and FuzzConforms compare the two.
//
// Only the workflow schema's own schemas are decided here. Another
// resource it refers to (the meta-schema) is handed to the validator where
// it is entered: its $dynamicRef resolves through the schemas validated on
// the way to it, and validating one of its inner schemas on its own would
// resolve them differently (a nested input schema would be checked only
// against the applicator vocabulary, so {"properties": {"a": {"type": 5}}}
// would pass).
func conforms(s *jsonschema.Schema, v *value) bool {
	if !conformable(s) || !inWorkflowSchema(s) {
		return s.Validate(v.toAny()) == nil
	}
	if s.Always != nil {
		return *s.Always
	}
	if s.Ref != nil && !conforms(s.Ref, v) {
		return false
	}
	if len(s.Types) > 0 && !hasType(s.Types, v) {
		return false
	}
	switch v.kind {
	case kindObject:
		if !objectConforms(s, v) {
			return false
		}
	case kindArray:
		if s.MinItems != -1 && len(v.items) < s.MinItems || s.MaxItems != -1 && len(v.items) > s.MaxItems {
			return false
		}
		for i, item := range v.items {
			sub := s.Items2020
			if i < len(s.PrefixItems) {
				sub = s.PrefixItems[i]
			}
			if sub != nil && !conforms(sub, item) {
				return false
			}
		}
	case kindString:
		if s.MinLength != -1 || s.MaxLength != -1 {
			n := utf8.RuneCountInString(v.text)
			if s.MinLength != -1 && n < s.MinLength || s.MaxLength != -1 && n > s.MaxLength {
				return false
			}
		}
		if s.Pattern != nil && !s.Pattern.MatchString(v.text) {
			return false
		}
	case kindNumber:
		if !inRange(s, v.text) {
			return false
		}
	}
	for _, sub := range s.AllOf {
		if !conforms(sub, v) {
			return false
		}
	}
	if len(s.AnyOf) > 0 && !slices.ContainsFunc(s.AnyOf, func(sub *jsonschema.Schema) bool { return conforms(sub, v) }) {
		return false
	}
	if len(s.OneOf) > 0 {
		matched := 0
		for _, sub := range s.OneOf {
			if conforms(sub, v) {
				matched++
			}
		}
		if matched != 1 {
			return false
		}
	}
	if s.Not != nil && conforms(s.Not, v) {
		return false
	}
	if s.If != nil {
		if conforms(s.If, v) {
			return s.Then == nil || conforms(s.Then, v)
		}
		return s.Else == nil || conforms(s.Else, v)
	}
	return true
}

func objectConforms(s *jsonschema.Schema, v *value) bool {
	if s.MinProperties != -1 && len(v.members) < s.MinProperties || s.MaxProperties != -1 && len(v.members) > s.MaxProperties {
		return false
	}
	for _, name := range s.Required {
		if v.get(name) == nil {
			return false
		}
	}
	for name, others := range s.DependentRequired {
		if v.get(name) == nil {
			continue
		}
		for _, other := range others {
			if v.get(other) == nil {
				return false
			}
		}
	}
	if len(s.Properties) == 0 && len(s.PatternProperties) == 0 && s.PropertyNames == nil && s.AdditionalProperties == nil {
		// Nothing applies to the members (a oneOf alternative that only
		// requires one, say).
		return true
	}
	for _, m := range v.members {
		if s.PropertyNames != nil && !conforms(s.PropertyNames, &value{kind: kindString, text: m.key}) {
			return false
		}
		evaluated := false
		if sub, ok := s.Properties[m.key]; ok {
			evaluated = true
			if !conforms(sub, m.value) {
				return false
			}
		}
		for pattern, sub := range patternProperties(s) {
			if pattern.MatchString(m.key) {
				evaluated = true
				if !conforms(sub, m.value) {
					return false
				}
			}
		}
		if evaluated {
			continue
		}
		switch additional := s.AdditionalProperties.(type) {
		case bool:
			if !additional {
				return false
			}
		case *jsonschema.Schema:
			if !conforms(additional, m.value) {
				return false
			}
		}
	}
	return true
}

// inRange reports whether the number literal text is within s's bounds.
func inRange(s *jsonschema.Schema, text string) bool {
	within := true
	check := func(bound *big.Rat, allowed func(cmp int) bool) {
		if bound != nil && within {
			c, ok := compareNumber(text, bound)
			within = ok && allowed(c)
		}
	}
	check(s.Minimum, func(c int) bool { return c >= 0 })
	check(s.Maximum, func(c int) bool { return c <= 0 })
	check(s.ExclusiveMinimum, func(c int) bool { return c > 0 })
	check(s.ExclusiveMaximum, func(c int) bool { return c < 0 })
	return within
}

// compareNumber compares a number literal with a bound, exactly. An
// integer and an integral bound that fit an int64, the usual case
// (attempts, concurrency), compare without building a big.Rat.
func compareNumber(text string, bound *big.Rat) (int, bool) {
	if bound.IsInt() && bound.Num().IsInt64() && allDigits(strings.TrimPrefix(text, "-")) {
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return cmp.Compare(n, bound.Num().Int64()), true
		}
	}
	n, ok := new(big.Rat).SetString(text)
	if !ok {
		return 0, false
	}
	return n.Cmp(bound), true
}

// patternProperties returns s.PatternProperties, or nil when it is empty:
// ranging over an empty map still costs setting up an iterator, for every
// member of every object.
func patternProperties(s *jsonschema.Schema) map[*regexp.Regexp]*jsonschema.Schema {
	if len(s.PatternProperties) == 0 {
		return nil
	}
	return s.PatternProperties
}

// hasType reports whether v is of one of the JSON Schema types; an
// "integer" is a number without a fractional part, however written (1.0).
func hasType(types []string, v *value) bool {
	for _, t := range types {
		switch {
		case t == v.kind.String():
			return true
		case t == "integer" && v.kind == kindNumber:
			if allDigits(strings.TrimPrefix(v.text, "-")) {
				return true // no fraction, no exponent: the common case, without big.Rat
			}
			if n, ok := new(big.Rat).SetString(v.text); ok && n.IsInt() {
				return true
			}
		}
	}
	return false
}

// conformable reports whether conforms decides s itself: s uses only the
// keywords conforms implements. The schemas it reaches are judged when
// conforms gets to them. The workflow schema is made of such keywords
// (TestWorkflowSchemaIsConformable), but it refers to the JSON Schema
// meta-schema for the schemas a definition holds (input, signal payloads),
// which uses others ($dynamicRef, enum, format annotations).
func conformable(s *jsonschema.Schema) bool {
	return s.Format == "" && s.RecursiveRef == nil && s.DynamicRef == nil && len(s.Constant) == 0 && len(s.Enum) == 0 &&
		!s.RegexProperties && len(s.Dependencies) == 0 && len(s.DependentSchemas) == 0 && s.UnevaluatedProperties == nil &&
		!s.UniqueItems && s.Items == nil && s.AdditionalItems == nil && s.Contains == nil && s.UnevaluatedItems == nil &&
		s.ContentEncoding == "" && s.ContentMediaType == "" && s.ContentSchema == nil && s.MultipleOf == nil && len(s.Extensions) == 0
}

// inWorkflowSchema reports whether s is part of the workflow schema's own
// file, which has no $dynamicAnchor or $recursiveAnchor: entering another
// resource by validating it from its first schema then starts the
// validator's dynamic scope as a validation of the whole document would.
func inWorkflowSchema(s *jsonschema.Schema) bool {
	return s.Location == schemaURL || strings.HasPrefix(s.Location, schemaURL+"#")
}
