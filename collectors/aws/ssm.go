package aws

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/internal/inventory"
)

// patchSourceSSM names Systems Manager Patch Manager in PatchCompliance.
const patchSourceSSM = "aws.ssm"

// ssmAPI is what the ssm table calls on a Systems Manager client.
type ssmAPI interface {
	DescribeInstanceInformation(context.Context, *ssm.DescribeInstanceInformationInput, ...func(*ssm.Options)) (*ssm.DescribeInstanceInformationOutput, error)
	DescribeInstancePatchStates(context.Context, *ssm.DescribeInstancePatchStatesInput, ...func(*ssm.Options)) (*ssm.DescribeInstancePatchStatesOutput, error)
}

// Batch and page sizes: the largest each operation accepts.
const (
	ssmInformationPage = 50
	ssmPatchStateBatch = 50 // instance ids of one DescribeInstancePatchStates
	ssmPatchStatePage  = 100
)

func ssmTables() []table {
	return []table{{Service: "ssm", List: func(ctx context.Context, s scope, out *collectors.Result) error {
		return listPatchStates(ctx, s, out, ssm.NewFromConfig(s.Config))
	}}}
}

// listPatchStates reads the OS patch state Patch Manager last reported for
// each EC2 instance Systems Manager manages in the region, and records it
// for the instance (scope.Enrich): the counts of missing, failed,
// installed-pending-reboot, critical and security patches of its patch
// baseline, and when the scan ran. An instance Systems Manager does not
// manage, or that Patch Manager never scanned, gets no Patches. Managed
// instances whose patch state could not be read are marked Unknown, with a
// gap; if the managed instances cannot be listed, the gap says so and every
// instance of the region whose state was not read is marked Unknown. Hybrid managed nodes
// (mi-…) are not EC2 instances and are skipped.
func listPatchStates(ctx context.Context, s scope, out *collectors.Result, c ssmAPI) error {
	var ids []string
	p := ssm.NewDescribeInstanceInformationPaginator(c, &ssm.DescribeInstanceInformationInput{MaxResults: aws.Int32(ssmInformationPage)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			if gerr := s.gap(out, "ssm", "DescribeInstanceInformation", "", err); gerr != nil {
				return gerr
			}
			// Which instances are managed is unknown: those not read are
			// unknown, not "not managed".
			s.Enrich.unknownPatches(s.Region)
			break
		}
		for _, in := range page.InstanceInformationList {
			if id := aws.ToString(in.InstanceId); id != "" && in.ResourceType == types.ResourceTypeEc2Instance {
				ids = append(ids, id)
			}
		}
	}
	for from := 0; from < len(ids); from += ssmPatchStateBatch {
		batch := ids[from:min(from+ssmPatchStateBatch, len(ids))]
		if err := patchStateBatch(ctx, s, out, c, batch); err != nil {
			return err
		}
	}
	return nil
}

// patchStateBatch reads the patch states of up to ssmPatchStateBatch
// instances, all pages; the instances not read when a call fails are
// marked Unknown.
func patchStateBatch(ctx context.Context, s scope, out *collectors.Result, c ssmAPI, ids []string) error {
	instanceARN := func(id string) string { return s.arn("ec2", s.Region, s.Account, "instance/"+id) }
	read := map[string]bool{}
	p := ssm.NewDescribeInstancePatchStatesPaginator(c, &ssm.DescribeInstancePatchStatesInput{InstanceIds: ids, MaxResults: aws.Int32(ssmPatchStatePage)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			for _, id := range ids {
				if !read[id] {
					s.Enrich.setPatches(instanceARN(id), &inventory.PatchCompliance{Source: patchSourceSSM, Unknown: true})
				}
			}
			return s.gap(out, "ssm", "DescribeInstancePatchStates", "", err)
		}
		for _, st := range page.InstancePatchStates {
			id := aws.ToString(st.InstanceId)
			read[id] = true
			s.Enrich.setPatches(instanceARN(id), patchCompliance(st))
		}
	}
	return nil
}

// patchCompliance maps one instance's patch state.
func patchCompliance(st types.InstancePatchState) *inventory.PatchCompliance {
	return &inventory.PatchCompliance{
		Source:               patchSourceSSM,
		Missing:              int(st.MissingCount),
		Failed:               int(st.FailedCount),
		PendingReboot:        int(aws.ToInt32(st.InstalledPendingRebootCount)),
		CriticalNonCompliant: int(aws.ToInt32(st.CriticalNonCompliantCount)),
		SecurityNonCompliant: int(aws.ToInt32(st.SecurityNonCompliantCount)),
		ScannedAt:            aws.ToTime(st.OperationEndTime).UTC(),
	}
}
