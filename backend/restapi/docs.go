package restapi

import (
	"embed"
	"io/fs"
	"mime"
	"net/http"
	"path"

	"github.com/whetstone-ai/whetstone/backend/httpapi"
)

// docsPage is the page at /api/docs and its start-up script; Swagger UI's
// own files come from Deps.DocsAssets (the frontend build copies them from
// the swagger-ui-dist package into dist/apidocs).
//
//go:embed docs/index.html docs/init.js
var docsPage embed.FS

// docsFiles are the files /api/docs/ serves from DocsAssets.
var docsFiles = map[string]bool{"swagger-ui-bundle.js": true, "swagger-ui.css": true}

func (a *api) docsRoutes() []httpapi.Route {
	return []httpapi.Route{
		{Pattern: "GET /api/docs", Kind: httpapi.CallRoute, Handler: http.RedirectHandler("/api/docs/", http.StatusMovedPermanently)},
		{Pattern: "GET /api/docs/{file...}", Kind: httpapi.CallRoute, Handler: http.HandlerFunc(a.docs)},
	}
}

func (a *api) docs(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	var data []byte
	var err error
	switch {
	case name == "" || name == "index.html":
		name = "index.html"
		data, err = docsPage.ReadFile("docs/index.html")
	case name == "init.js":
		data, err = docsPage.ReadFile("docs/init.js")
	case docsFiles[name] && a.DocsAssets != nil:
		data, err = fs.ReadFile(a.DocsAssets, name)
	default:
		err = fs.ErrNotExist
	}
	if err != nil {
		http.NotFound(w, r)
		return
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(data)
}
