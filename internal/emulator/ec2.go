package emulator

// EC2Estate is ec2.json. (Filled in by the EC2 work.)
type EC2Estate struct{}

func serveEC2(e *Estate, r *request, pageSize int) (any, error) {
	return nil, errorf(400, "InvalidAction", "emulator: ec2 action %q not served", r.Action)
}
