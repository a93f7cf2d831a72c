package aws

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"golang.org/x/sync/errgroup"

	"github.com/posture-dev/posture/internal/inventory"
	"github.com/posture-dev/posture/internal/secrets"
)

// userDataConcurrency bounds the DescribeInstanceAttribute calls of one
// region in flight at once.
const userDataConcurrency = 8

// maxUserData bounds the user data scanned, after decompression: AWS
// accepts 16 KB of user data, so more than this is a gzip bomb or not
// user data; the first maxUserData bytes are scanned and a gap says the
// rest was not.
const maxUserData = secrets.MaxScan

// userDataLocation names user data in findings: "user-data line 12".
const userDataLocation = "user-data"

// errUserDataTooLarge: decompressed user data ran past maxUserData.
var errUserDataTooLarge = errors.New("user data decompresses to more than 1 MiB; only the first 1 MiB was scanned")

// userData reads each instance's user data (DescribeInstanceAttribute
// userData, one call per instance, at most userDataConcurrency at once),
// scans it for secrets and keeps only the findings: detector, line and a
// fingerprint salted with the scope's salt. The user data itself is
// dropped here. An instance whose user data could not be read is marked
// SecretsUnknown and a gap names it.
func (c *ec2Region) userData(ctx context.Context, rs []inventory.Resource) error {
	salt := c.s.SecretSalt
	if salt == nil {
		salt = secrets.AccountSalt(c.s.Account)
	}
	var mu sync.Mutex // c.gap and c.down
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(userDataConcurrency)
	for i := range rs {
		in := rs[i].Instance
		id := instanceID(rs[i].ID)
		g.Go(func() error {
			mu.Lock()
			down := c.down != nil
			mu.Unlock()
			if down {
				in.SecretsUnknown = true
				return nil
			}
			resp, err := c.api.DescribeInstanceAttribute(gctx, &ec2.DescribeInstanceAttributeInput{
				InstanceId: aws.String(id), Attribute: types.InstanceAttributeNameUserData})
			if err != nil {
				in.SecretsUnknown = true
				mu.Lock()
				defer mu.Unlock()
				return c.gap("DescribeInstanceAttribute", rs[i].ID, err)
			}
			var encoded string
			if resp.UserData != nil {
				encoded = aws.ToString(resp.UserData.Value)
			}
			text, err := decodeUserData(encoded)
			if err != nil {
				in.SecretsUnknown = true
				mu.Lock()
				c.out.Gap(inventory.Gap{Cloud: inventory.AWS, Account: c.s.Account, Region: c.s.Region, Service: "ec2",
					Operation: "DescribeInstanceAttribute", Resource: rs[i].ID, Reason: inventory.GapMalformed,
					Message: "user data of " + id + ": " + err.Error()})
				mu.Unlock()
			}
			for _, f := range secrets.Scan(text, userDataLocation, salt) {
				in.Secrets = append(in.Secrets, inventory.SecretFinding(f))
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if c.down != nil && len(rs) > 0 {
		c.skip("DescribeInstanceAttribute")
	}
	return nil
}

// decodeUserData turns DescribeInstanceAttribute's base64 value into text,
// gunzipping it when it is gzip'd (cloud-init accepts gzip'd user data).
// Past maxUserData, the text read so far is returned with
// errUserDataTooLarge. The error never quotes the data.
func decodeUserData(encoded string) (string, error) {
	if encoded == "" {
		return "", nil
	}
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return "", errors.New("user data is not valid base64")
	}
	if !bytes.HasPrefix(raw, []byte{0x1f, 0x8b}) {
		if len(raw) > maxUserData {
			return string(raw[:maxUserData]), errUserDataTooLarge
		}
		return string(raw), nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return "", errors.New("user data has a gzip header but is not valid gzip")
	}
	out, err := io.ReadAll(io.LimitReader(zr, maxUserData+1))
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return "", errors.New("user data is gzip'd but does not decompress")
	}
	if len(out) > maxUserData {
		return string(out[:maxUserData]), errUserDataTooLarge
	}
	if err != nil {
		return string(out), errors.New("gzip'd user data is truncated")
	}
	return string(out), nil
}

// instanceID is the instance id at the end of an instance ARN.
func instanceID(arn string) string {
	return arn[strings.LastIndex(arn, "/")+1:]
}
