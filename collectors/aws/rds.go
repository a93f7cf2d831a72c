package aws

// rdsTables lists what the rds service contributes. (Filled in by the rds work.)
func rdsTables() []table { return nil }
