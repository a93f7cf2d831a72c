package emulator

// azureEdgeFile is the file of an estate's azure/ directory that holds
// what sits at the edge of its networks: load balancers
// (Microsoft.Network/loadBalancers), application gateways
// (Microsoft.Network/applicationGateways) and the networks, interfaces and
// machines behind them, each as ARM answers a GET of it, as in
// resources.json.
//
// They need no handler of their own: LoadBalancers.ListAll and
// ApplicationGateways.ListAll are subscription-wide lists of a
// Microsoft.Network type, which serveAzure answers from the estate in
// pages, with faults injected by service "network" and those actions. As
// ARM does, a load balancer's backend pools carry the NIC IP
// configurations that joined them (backendIPConfigurations) and each
// NIC's IP configuration the pools it joined: an estate writes both sides.
const azureEdgeFile = "edge.json"
