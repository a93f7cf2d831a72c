package emulator

// IAMEstate is iam.json. (Filled in by the IAM work.)
type IAMEstate struct{}

func serveIAM(e *Estate, r *request, pageSize int) (any, error) {
	return nil, errorf(400, "InvalidAction", "emulator: iam action %q not served", r.Action)
}
