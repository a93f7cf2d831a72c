package emulator

// RDSEstate is rds.json. (Filled in by the RDS work.)
type RDSEstate struct{}

func serveRDS(e *Estate, r *request, pageSize int) (any, error) {
	return nil, errorf(400, "InvalidAction", "emulator: rds action %q not served", r.Action)
}
