package console

import (
	"net/http"

	"github.com/reaflow/reaflow/dsl"
	"github.com/reaflow/reaflow/interpreter"
)

type definitionsData struct {
	Definitions []definitionSummary
}

type definitionSummary struct {
	Name     string
	Versions []interpreter.DefinitionVersion
}

func (s *Server) definitionsPage(w http.ResponseWriter, r *http.Request) {
	p := &page{Title: "Definitions", Nav: "definitions"}
	data := &definitionsData{}
	p.Data = data
	names, err := s.c.Definitions(r.Context())
	if err != nil {
		p.Error = errorText(err)
		s.renderPage(w, r, http.StatusBadGateway, "definitions", p)
		return
	}
	for _, name := range names {
		versions, err := s.c.Versions(r.Context(), name)
		if err != nil {
			p.Error = errorText(err)
			break
		}
		data.Definitions = append(data.Definitions, definitionSummary{Name: name, Versions: versions})
	}
	s.renderPage(w, r, http.StatusOK, "definitions", p)
}

type definitionData struct {
	Name     string
	Ref      string
	Versions []interpreter.DefinitionVersion
	Program  *dsl.Program
	Graph    []*box
	File     string
	Source   string
	Runs     string
}

func (s *Server) definitionPage(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	p := &page{Title: "Definition " + name, Nav: "definitions"}
	data := &definitionData{Name: name, Ref: name}
	p.Data = data
	if v := r.URL.Query().Get("version"); v != "" {
		data.Ref = name + "@" + v
	}
	data.Runs = runsFilter{Definition: name}.query("")
	versions, err := s.c.Versions(r.Context(), name)
	if err == nil {
		data.Versions = versions
		var def *interpreter.DeployRequest
		if def, err = s.c.Definition(r.Context(), data.Ref); err == nil {
			data.File, data.Source = def.File, def.Definition
			if prog, loadErr := dsl.Load(def.File, []byte(def.Definition)); loadErr == nil {
				data.Program = prog
				data.Graph = newDrawing(nil, r.URL.Query().Get("step")).list(prog.Steps, false)
			}
		}
	}
	if err != nil {
		p.Error = errorText(err)
		s.renderPage(w, r, http.StatusNotFound, "definition", p)
		return
	}
	s.renderPage(w, r, http.StatusOK, "definition", p)
}
