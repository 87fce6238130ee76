package arm

import (
	"errors"
	"net/http"
	"regexp"
	"sort"
	"strings"

	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

const (
	actStorageRead  = "Microsoft.Storage/storageAccounts/read"
	actStorageWrite = "Microsoft.Storage/storageAccounts/write"
	actQueueRead    = "Microsoft.Storage/storageAccounts/queueServices/queues/read"
	actQueueWrite   = "Microsoft.Storage/storageAccounts/queueServices/queues/write"
)

// Storage account names: 3-24 lower-case letters and digits.
var storageName = regexp.MustCompile(`^[a-z0-9]{3,24}$`)

// Queue names: 3-63 lower-case letters, digits and single hyphens, starting
// and ending with a letter or digit.
var queueName = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9]|-[a-z0-9]){2,62}$`)

type storageSku struct {
	Name string `json:"name"`
	Tier string `json:"tier"`
}

type storageJSON struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Type       string            `json:"type"`
	Kind       string            `json:"kind"`
	Sku        storageSku        `json:"sku"`
	Location   string            `json:"location"`
	Tags       map[string]string `json:"tags"`
	Properties map[string]any    `json:"properties"`
}

// storageView is what GET and PUT return. The world does not keep a sku or
// kind: every account is the StorageV2 Standard_LRS that `az storage
// account create` makes by default.
func storageView(st *world.State, a *world.StorageAccount) storageJSON {
	ep := func(svc string) string { return "https://" + a.Name + "." + svc + ".core.windows.net/" }
	return storageJSON{
		ID: st.StorageAccountID(a), Name: a.Name, Type: "Microsoft.Storage/storageAccounts", Kind: "StorageV2",
		Sku: storageSku{Name: "Standard_LRS", Tier: "Standard"}, Location: a.Location, Tags: map[string]string{},
		Properties: map[string]any{
			"provisioningState": "Succeeded",
			"primaryEndpoints": map[string]string{
				"blob": ep("blob"), "queue": ep("queue"), "table": ep("table"), "file": ep("file"),
				"dfs": ep("dfs"), "web": "https://" + a.Name + ".z13.web.core.windows.net/",
			},
			"primaryLocation": a.Location, "statusOfPrimary": "available",
			"accessTier": "Hot", "supportsHttpsTrafficOnly": true, "minimumTlsVersion": "TLS1_2",
			"allowBlobPublicAccess": false, "allowSharedKeyAccess": true,
			"encryption": map[string]any{"keySource": "Microsoft.Storage", "services": map[string]any{
				"blob": map[string]any{"enabled": true, "keyType": "Account"},
				"file": map[string]any{"enabled": true, "keyType": "Account"},
			}},
			"networkAcls": map[string]any{"bypass": "AzureServices", "defaultAction": "Allow", "ipRules": []any{}, "virtualNetworkRules": []any{}},
		},
	}
}

func storageScope(req *request) string {
	return rgScope(req) + "/providers/Microsoft.Storage/storageAccounts/" + req.rt.name
}

func findStorage(st *world.State, rg, name string) (*world.StorageAccount, *armError) {
	if e := needRG(st, rg); e != nil {
		return nil, e
	}
	a := st.StorageAccount(name)
	if a == nil || !strings.EqualFold(a.ResourceGroup, rg) {
		return nil, errResourceNotFound("Microsoft.Storage/storageAccounts", name, rg)
	}
	return a, nil
}

func (s *Service) getStorageAccount(req *request) *armError {
	return getResource(req, actStorageRead, storageScope(req), func(st *world.State) (storageJSON, *armError) {
		a, e := findStorage(st, req.rt.rg, req.rt.name)
		if e != nil {
			return storageJSON{}, e
		}
		return storageView(st, a), nil
	})
}

type storageBody struct {
	Location string `json:"location"`
	Kind     string `json:"kind"`
	Sku      *struct {
		Name string `json:"name"`
	} `json:"sku"`
}

// storageKinds and storageSkus are the values the storage RP accepts.
var (
	storageKinds = []string{"Storage", "StorageV2", "BlobStorage", "FileStorage", "BlockBlobStorage"}
	storageSkus  = []string{"Standard_LRS", "Standard_GRS", "Standard_RAGRS", "Standard_ZRS", "Premium_LRS", "Premium_ZRS",
		"Standard_GZRS", "Standard_RAGZRS"}
)

func (b *storageBody) validate() *armError {
	if b.Sku == nil || b.Sku.Name == "" {
		return errorf(http.StatusBadRequest, "InvalidRequestContent", "The request content was invalid and could not be deserialized: 'Required property 'sku' not found in JSON.'.")
	}
	if !contains(storageSkus, b.Sku.Name) {
		return errorf(http.StatusBadRequest, "InvalidRequestContent",
			"The request content was invalid and could not be deserialized: 'Error converting value \""+b.Sku.Name+"\" to type 'SkuName'.'.")
	}
	if b.Kind == "" {
		return errorf(http.StatusBadRequest, "InvalidRequestContent", "The request content was invalid and could not be deserialized: 'Required property 'kind' not found in JSON.'.")
	}
	if !contains(storageKinds, b.Kind) {
		return errorf(http.StatusBadRequest, "InvalidRequestContent",
			"The request content was invalid and could not be deserialized: 'Error converting value \""+b.Kind+"\" to type 'Kind'.'.")
	}
	return nil
}

// putStorageAccount creates a storage account (or answers with the one that
// exists in the group). Azure answers a create with 202 and a Location to
// poll; the simulation creates at once and answers 200 with the account,
// which the SDKs' pollers take as done.
func (s *Service) putStorageAccount(req *request) *armError {
	var body storageBody
	if e := decode(req.r, &body); e != nil {
		return e
	}
	if e := req.c.authorize(req.r, actStorageWrite, storageScope(req), req.rt.path); e != nil {
		return e
	}
	name := req.rt.name
	if !storageName.MatchString(name) {
		return errorf(http.StatusBadRequest, "AccountNameInvalid", name+
			" is not a valid storage account name. Storage account name must be between 3 and 24 characters in length and use numbers and lower-case letters only.")
	}
	if e := body.validate(); e != nil {
		return e
	}
	var out storageJSON
	if e := update(req, func(tx *world.Tx) error {
		a, e := findStorage(tx.State, req.rt.rg, name)
		switch {
		case e != nil && e.code == "ResourceGroupNotFound":
			return e
		case a != nil:
			if body.Location != "" && normLocation(body.Location) != a.Location {
				return errorf(http.StatusConflict, "InvalidResourceLocation", "The resource '"+name+
					"' already exists in location '"+a.Location+"' in resource group '"+a.ResourceGroup+
					"'. A resource with the same name cannot be created in location '"+normLocation(body.Location)+"'. Please select a new resource name.")
			}
		case body.Location == "":
			return errorf(http.StatusBadRequest, "LocationRequired", "The location property is required for this definition.")
		case tx.State.StorageAccount(name) != nil:
			return errorf(http.StatusConflict, "StorageAccountInAnotherResourceGroup",
				"The account "+name+" is already in another resource group in this subscription.")
		default:
			na, err := tx.NewStorageAccount(tx.State.ResourceGroups[strings.ToLower(req.rt.rg)].Name, name)
			if errors.Is(err, world.ErrNameTaken) {
				return errorf(http.StatusConflict, "StorageAccountAlreadyTaken", "The storage account named "+name+" is already taken.")
			}
			if err != nil {
				return err
			}
			na.Location = normLocation(body.Location)
			a = na
		}
		out = storageView(tx.State, a)
		return nil
	}); e != nil {
		return e
	}
	writeJSON(req.rw, http.StatusOK, out)
	return nil
}

type queueJSON struct {
	ID         string         `json:"id"`
	Name       string         `json:"name"`
	Type       string         `json:"type"`
	Properties map[string]any `json:"properties"`
}

func queueView(st *world.State, a *world.StorageAccount, q *world.Queue) queueJSON {
	md := q.Metadata
	if md == nil {
		md = map[string]string{}
	}
	return queueJSON{
		ID: st.QueueScope(a, q.Name), Name: q.Name, Type: "Microsoft.Storage/storageAccounts/queueServices/queues",
		Properties: map[string]any{"metadata": md, "approximateMessageCount": len(q.Messages)},
	}
}

func queueScope(req *request) string {
	return storageScope(req) + "/queueServices/default/queues/" + req.rt.child
}

func (s *Service) getQueue(req *request) *armError {
	return getResource(req, actQueueRead, queueScope(req), func(st *world.State) (queueJSON, *armError) {
		a, e := findStorage(st, req.rt.rg, req.rt.name)
		if e != nil {
			return queueJSON{}, e
		}
		q := a.Queues[req.rt.child]
		if q == nil {
			return queueJSON{}, errorf(http.StatusNotFound, "QueueNotFound", "The specified queue does not exist.")
		}
		return queueView(st, a, q), nil
	})
}

type queueBody struct {
	Properties *struct {
		Metadata map[string]string `json:"metadata"`
	} `json:"properties"`
}

// putQueue creates a queue (or sets the metadata of the one that exists),
// as `az storage queue create --auth-mode login` does through ARM.
func (s *Service) putQueue(req *request) *armError {
	var body queueBody
	if e := decode(req.r, &body); e != nil {
		return e
	}
	if e := req.c.authorize(req.r, actQueueWrite, queueScope(req), req.rt.path); e != nil {
		return e
	}
	name := req.rt.child
	switch {
	case len(name) < 3 || len(name) > 63:
		return errorf(http.StatusBadRequest, "OutOfRangeInput", "The specified resource name length is not within the permissible limits.")
	case !queueName.MatchString(name):
		return errorf(http.StatusBadRequest, "InvalidResourceName", "The specifed resource name contains invalid characters.")
	}
	var out queueJSON
	if e := update(req, func(tx *world.Tx) error {
		a, e := findStorage(tx.State, req.rt.rg, req.rt.name)
		if e != nil {
			return e
		}
		if a.Queues == nil {
			a.Queues = map[string]*world.Queue{}
		}
		q := a.Queues[name]
		if q == nil {
			q = &world.Queue{Name: name}
			a.Queues[name] = q
		}
		if body.Properties != nil {
			q.Metadata = body.Properties.Metadata
		}
		out = queueView(tx.State, a, q)
		return nil
	}); e != nil {
		return e
	}
	writeJSON(req.rw, http.StatusOK, out)
	return nil
}

// listStorageAccounts answers GET .../providers/Microsoft.Storage/storageAccounts
// at the subscription or a resource group (`az storage account show -n`
// without -g looks the account up here): the accounts the caller may read.
func (s *Service) listStorageAccounts(req *request) *armError {
	var all []storageJSON
	var aerr *armError
	req.c.w.View(func(st *world.State) {
		if req.rt.rg != "" {
			if aerr = needRG(st, req.rt.rg); aerr != nil {
				return
			}
		}
		for _, a := range st.StorageAccounts {
			if req.rt.rg == "" || strings.ToLower(a.ResourceGroup) == strings.ToLower(req.rt.rg) {
				all = append(all, storageView(st, a))
			}
		}
	})
	if aerr != nil {
		return aerr
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	out := []storageJSON{}
	for _, a := range all {
		if req.c.canRead(actStorageRead, a.ID) {
			out = append(out, a)
		}
	}
	writeJSON(req.rw, http.StatusOK, map[string]any{"value": out})
	return nil
}
