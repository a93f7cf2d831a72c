package aws

// iamTables lists what the iam service contributes. (Filled in by the iam work.)
func iamTables() []table { return nil }
