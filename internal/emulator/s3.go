package emulator

import "net/http"

// S3Estate is s3.json. (Filled in by the S3 work.)
type S3Estate struct{}

func (s *Server) serveS3(w http.ResponseWriter, r *request) {
	writeS3Error(w, errorf(400, "NotImplemented", "emulator: s3 not served"))
}
