package dsl

// Locator places the JSON pointers of a JSON document at their line and
// column, so that files other than definitions (the scenario files of
// `reaflow test`, say) report their problems as definitions do: file,
// line:column, pointer, and the offending line under Snippet.
type Locator struct{ doc *document }

// NewLocator parses data, one JSON value from file nested at most
// DefaultMaxDepth deep. A syntax error comes back located at the
// offending character.
func NewLocator(file string, data []byte) (*Locator, *Error) {
	doc, err := parseDocument(file, data, DefaultMaxDepth)
	if err != nil {
		return nil, err
	}
	return &Locator{doc: doc}, nil
}

// File is the name the document was parsed under.
func (l *Locator) File() string { return l.doc.file }

// ErrorAt returns a problem located at the value at pointer, or at its
// member's key when atKey is set. A pointer to nothing in the document is
// located at the nearest value that exists along it.
func (l *Locator) ErrorAt(pointer string, atKey bool, message string) *Error {
	return l.doc.errorAtPointer(pointer, atKey, message)
}
