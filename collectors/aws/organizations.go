package aws

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

// organizationsAPI is the part of the Organizations client this file calls.
type organizationsAPI interface {
	ListAccounts(context.Context, *organizations.ListAccountsInput, ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error)
}

// orgAccount is one account of the organization.
type orgAccount struct {
	ID, Name string
	State    string // ACTIVE, SUSPENDED, PENDING_CLOSURE, …
}

// organizationAccounts lists the accounts of the caller's organization,
// every page, from the caller's account. It is no table: it decides which
// accounts the scan covers, so an organization that cannot be listed
// entirely is an error, not a gap (a gap would commit a snapshot whose
// missing accounts read as fixed).
func organizationAccounts(ctx context.Context, caller scope) ([]orgAccount, error) {
	var c organizationsAPI = organizations.NewFromConfig(caller.Config)
	var out []orgAccount
	p := organizations.NewListAccountsPaginator(c, &organizations.ListAccountsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("aws: list the organization's accounts with organizations ListAccounts from %s: %w", caller.Account, err)
		}
		for _, a := range page.Accounts {
			out = append(out, orgAccount{ID: aws.ToString(a.Id), Name: aws.ToString(a.Name), State: accountState(a)})
		}
	}
	return out, nil
}

// accountState reads an account's State, or its older Status when an
// answer has no State.
func accountState(a types.Account) string {
	if a.State != "" {
		return string(a.State)
	}
	return string(a.Status)
}
