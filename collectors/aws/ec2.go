package aws

// ec2Tables lists what the ec2 service contributes. (Filled in by the ec2 work.)
func ec2Tables() []table { return nil }
