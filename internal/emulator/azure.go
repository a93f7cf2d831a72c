package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"unicode"
)

// AzureEstate is the azure/ directory of an estate, in Azure Resource
// Manager's own JSON, as its REST API answers:
//
//   - subscriptions.json: the subscriptions the caller sees, as
//     GET /subscriptions lists them ({"subscriptionId", "tenantId",
//     "displayName", "state", …});
//   - resources.json: every resource of every subscription, each as ARM
//     answers a GET of it ({"id", "name", "type", "location",
//     "properties", …}). Nested resources (blob containers, SQL server
//     firewall rules) and extension resources (role assignments at any
//     scope, role definitions) are listed the same way, by their full ARM
//     id;
//   - edge.json (azure_lb.go) and security.json (azure_security.go):
//     more resources in the same form, kept apart by what they are about.
//
// The first subscription's tenantId is the home tenant of the emulated
// credential: a call on a subscription of another tenant is refused with
// 401 InvalidAuthenticationTokenTenant, as ARM refuses a token of the
// wrong issuer, unless its bearer token is "emulator/<that tenant id>"
// (what the collector's static token sends when asked for a tenant).
//
// A list call returns the resources of the type it names under the scope
// of its path, in the order of the file, in pages (Options.PageSize) linked
// by nextLink. The bodies are served as written, so an estate can carry
// fields the collector does not read.
type AzureEstate struct {
	Subscriptions []json.RawMessage
	Resources     []AzureResource
}

// AzureResource is one ARM resource: its id and type, read from the body,
// and the body itself.
type AzureResource struct {
	ID   string
	Type string
	Body json.RawMessage
}

// azureResourceFiles are the files of resources, read in this order:
// resources.json, then the files of services that keep their own
// (azure_lb.go, azure_security.go). A missing file has no resources.
var azureResourceFiles = []string{"resources.json", azureEdgeFile, azureSecurityFile}

// loadAzure reads dir; a missing directory means no Azure part (nil).
func loadAzure(fsys fs.FS, dir string) (*AzureEstate, error) {
	if _, err := fs.Stat(fsys, dir); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	e := &AzureEstate{}
	read := func(name string, v any) error {
		b, err := fs.ReadFile(fsys, path.Join(dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, v); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	}
	if err := read("subscriptions.json", &e.Subscriptions); err != nil {
		return nil, err
	}
	for _, name := range azureResourceFiles {
		var bodies []json.RawMessage
		if err := read(name, &bodies); err != nil {
			return nil, err
		}
		for i, b := range bodies {
			var head struct {
				ID   string `json:"id"`
				Type string `json:"type"`
			}
			if err := json.Unmarshal(b, &head); err != nil {
				return nil, fmt.Errorf("%s: resource %d: %w", name, i, err)
			}
			if head.ID == "" || head.Type == "" {
				return nil, fmt.Errorf("%s: resource %d has no id or type", name, i)
			}
			e.Resources = append(e.Resources, AzureResource{ID: head.ID, Type: head.Type, Body: b})
		}
	}
	for i, b := range e.Subscriptions {
		var head struct {
			ID string `json:"subscriptionId"`
		}
		if err := json.Unmarshal(b, &head); err != nil || head.ID == "" {
			return nil, fmt.Errorf("subscriptions.json: subscription %d has no subscriptionId", i)
		}
	}
	return e, nil
}

// isAzurePath reports whether an unsigned request is for Azure Resource
// Manager (or the emulated Entra token endpoint).
func isAzurePath(p string) bool {
	return strings.HasPrefix(p, "/subscriptions") || strings.HasPrefix(p, "/providers/") || strings.HasPrefix(p, "/tenants")
}

// armCall is one decoded ARM request: a list of a type under a scope, or a
// GET of one resource.
type armCall struct {
	Service string // "network", "compute", "storage", "authorization", "sql", "keyvault", "containerservice", "resources"
	Action  string // "NetworkSecurityGroups.ListAll", "BlobContainers.List", "Subscriptions.List" …
	Sub     string // subscription id, "" for GET /subscriptions
	Type    string // full ARM type, "Microsoft.Network/networkSecurityGroups"
	// Under is the id prefix (lower case, ending in "/") of what a list
	// returns; Direct keeps only direct children of it.
	Under  string
	Direct bool
	One    bool // a GET of the resource whose id is the path
}

// parseARM decodes an ARM path. Lists are named as the Go SDK names the
// operation: <Type>.ListAll for a subscription-wide list of a network or
// compute type, RoleAssignments.ListForSubscription,
// Vaults.ListBySubscription, FirewallRules.ListByServer, <Type>.List
// otherwise, <Type>.Get for one resource; BlobContainers for blob
// containers.
func parseARM(p string) (armCall, bool) {
	p = strings.TrimSuffix(p, "/")
	if strings.EqualFold(p, "/subscriptions") {
		return armCall{Service: "resources", Action: "Subscriptions.List"}, true
	}
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
	if len(segs) < 2 || !strings.EqualFold(segs[0], "subscriptions") {
		return armCall{}, false
	}
	c := armCall{Sub: segs[1]}
	prov := -1
	for i, s := range segs {
		if strings.EqualFold(s, "providers") {
			prov = i
		}
	}
	if prov < 0 || prov+2 >= len(segs) {
		return armCall{}, false
	}
	ns := segs[prov+1]
	rest := segs[prov+2:]
	var types []string
	for i := 0; i < len(rest); i += 2 {
		types = append(types, rest[i])
	}
	c.Type = ns + "/" + strings.Join(types, "/")
	c.Service = strings.ToLower(strings.TrimPrefix(ns, "Microsoft."))
	name := upperFirst(types[len(types)-1])
	if strings.EqualFold(c.Type, "Microsoft.Storage/storageAccounts/blobServices/containers") {
		name = "BlobContainers"
	}
	if len(rest)%2 == 0 {
		c.One, c.Action = true, name+".Get"
		return c, true
	}
	if sc, ok := parseSecurityARM(c, segs[:prov]); ok {
		return sc, true
	}
	subscriptionWide := prov == 2 && len(types) == 1
	switch {
	case subscriptionWide && strings.EqualFold(c.Type, "Microsoft.KeyVault/vaults"):
		c.Action = name + ".ListBySubscription"
	case strings.EqualFold(c.Type, "Microsoft.Sql/servers/firewallRules"):
		c.Action = name + ".ListByServer"
	case subscriptionWide && strings.EqualFold(c.Type, "Microsoft.Authorization/roleAssignments"):
		c.Action = name + ".ListForSubscription"
	case subscriptionWide && (c.Service == "network" || c.Service == "compute"):
		c.Action = name + ".ListAll"
	default:
		c.Action = name + ".List"
	}
	if len(types) == 1 {
		// Everything of the type under the scope before /providers.
		c.Under = strings.ToLower(strings.Join(segs[:prov], "/")) + "/"
		c.Under = "/" + c.Under
	} else {
		c.Under = strings.ToLower(p) + "/"
		c.Direct = true
	}
	return c, true
}

func upperFirst(s string) string {
	r := []rune(s)
	if len(r) > 0 {
		r[0] = unicode.ToUpper(r[0])
	}
	return string(r)
}

// serveAzure answers Azure Resource Manager requests.
func (s *Server) serveAzure(w http.ResponseWriter, hr *http.Request) {
	call, ok := parseARM(hr.URL.Path)
	if !ok {
		writeARMError(w, http.StatusNotFound, "InvalidResourceType", "The emulator serves no Azure Resource Manager path "+hr.URL.Path)
		return
	}
	req := &request{Service: call.Service, Region: call.Sub, Action: call.Action, Params: hr.URL.Query(), HTTP: hr}
	if f, ok := s.fault(req); ok {
		s.azureFault(w, hr, call, f)
		return
	}
	if hr.Method != http.MethodGet {
		writeARMError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "the emulator serves reads only")
		return
	}
	e := s.estate.Azure
	if e == nil {
		e = &AzureEstate{}
	}
	if call.Sub == "" {
		s.writeARMPage(w, hr, e.Subscriptions)
		return
	}
	tenant, ok := e.subscriptionTenant(call.Sub)
	if !ok {
		writeARMError(w, http.StatusNotFound, "SubscriptionNotFound", "The subscription '"+call.Sub+"' could not be found.")
		return
	}
	if home := e.homeTenant(); tenant != "" && !strings.EqualFold(tenant, home) &&
		!strings.EqualFold(strings.TrimPrefix(hr.Header.Get("Authorization"), "Bearer "), "emulator/"+tenant) {
		w.Header().Set("WWW-Authenticate", `Bearer authorization_uri="https://login.windows.net/`+tenant+`", error="invalid_token", error_description="The access token is from the wrong issuer."`)
		writeARMError(w, http.StatusUnauthorized, "InvalidAuthenticationTokenTenant",
			"The access token is from the wrong issuer 'https://sts.windows.net/"+home+"/'. It must match the tenant 'https://sts.windows.net/"+tenant+"/' associated with this subscription. Please use the authority (URL) 'https://login.windows.net/"+tenant+"' to get the token.")
		return
	}
	if call.One {
		for _, r := range e.Resources {
			if strings.EqualFold(r.ID, hr.URL.Path) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write(r.Body)
				return
			}
		}
		if b, ok := defaultSecurityResource(call, hr.URL.Path); ok {
			writeARMJSON(w, http.StatusOK, b)
			return
		}
		writeARMError(w, http.StatusNotFound, "ResourceNotFound", "The Resource '"+hr.URL.Path+"' was not found.")
		return
	}
	var items []json.RawMessage
	for _, r := range e.Resources {
		id := strings.ToLower(r.ID)
		if !strings.EqualFold(r.Type, call.Type) || !strings.HasPrefix(id, call.Under) {
			continue
		}
		if call.Direct && strings.Contains(id[len(call.Under):], "/") {
			continue
		}
		items = append(items, r.Body)
	}
	s.writeARMPage(w, hr, items)
}

// subscriptionTenant returns the tenant of subscription id, and whether
// the subscription exists.
func (e *AzureEstate) subscriptionTenant(id string) (string, bool) {
	for _, b := range e.Subscriptions {
		var head struct {
			ID     string `json:"subscriptionId"`
			Tenant string `json:"tenantId"`
		}
		if json.Unmarshal(b, &head) == nil && strings.EqualFold(head.ID, id) {
			return head.Tenant, true
		}
	}
	return "", false
}

// homeTenant is the first subscription's tenant: the emulated
// credential's own.
func (e *AzureEstate) homeTenant() string {
	for _, b := range e.Subscriptions {
		var head struct {
			Tenant string `json:"tenantId"`
		}
		if json.Unmarshal(b, &head) == nil {
			return head.Tenant
		}
	}
	return ""
}

// writeARMPage writes one page of items, {"value": [...], "nextLink": …},
// the next page's link carrying the offset in $skiptoken as ARM does.
func (s *Server) writeARMPage(w http.ResponseWriter, hr *http.Request, items []json.RawMessage) {
	q := hr.URL.Query()
	from, to, next, err := page(len(items), q.Get("$skiptoken"), s.opts.PageSize)
	if err != nil {
		writeARMError(w, http.StatusBadRequest, "InvalidSkipToken", err.Error())
		return
	}
	out := struct {
		Value    []json.RawMessage `json:"value"`
		NextLink string            `json:"nextLink,omitempty"`
	}{Value: append([]json.RawMessage{}, items[from:to]...)}
	if next != "" {
		q.Set("$skiptoken", next)
		out.NextLink = (&url.URL{Scheme: "http", Host: hr.Host, Path: hr.URL.Path, RawQuery: q.Encode()}).String()
	}
	writeARMJSON(w, http.StatusOK, out)
}

// azureFault answers an injected fault as ARM would.
func (s *Server) azureFault(w http.ResponseWriter, hr *http.Request, call armCall, f Fault) {
	switch f.Kind {
	case FaultDrop:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	case FaultHang:
		<-hr.Context().Done()
	case FaultDenied:
		writeARMError(w, http.StatusForbidden, "AuthorizationFailed", fmt.Sprintf(
			"The client 'emulated' with object id '00000000-0000-0000-0000-00000000e0e0' does not have authorization to perform action '%s/read' over scope '%s' or the scope is invalid. If access was recently granted, please refresh your credentials.",
			call.Type, hr.URL.Path))
	case FaultThrottle:
		// ARM says when to come back; clients that honour it wait 1 s.
		w.Header().Set("Retry-After", "1")
		writeARMError(w, http.StatusTooManyRequests, "TooManyRequests", "The request is being throttled as the limit has been reached for operation type - Read_ObservationWindow_00:05:00.")
	case FaultOptIn:
		writeARMError(w, http.StatusConflict, "MissingSubscriptionRegistration", "The subscription is not registered to use namespace '"+strings.SplitN(call.Type, "/", 2)[0]+"'.")
	default:
		writeARMError(w, http.StatusInternalServerError, "InternalServerError", "injected server error")
	}
}

// writeARMError writes ARM's error body: {"error": {"code", "message"}}.
func writeARMError(w http.ResponseWriter, status int, code, message string) {
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	body.Error.Code, body.Error.Message = code, message
	w.Header().Set("x-ms-failure-cause", "gateway")
	writeARMJSON(w, status, body)
}

// writeARMJSON writes v as JSON.
func writeARMJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "emulator: marshal answer: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
