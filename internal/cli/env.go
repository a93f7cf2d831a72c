package cli

import "os"

func envLookup(k string) string { return os.Getenv(k) }
