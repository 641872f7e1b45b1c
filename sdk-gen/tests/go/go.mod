module github.com/connector-platform/sdk-go/e2e

go 1.23

require github.com/connector-platform/sdk-go v0.1.0

replace github.com/connector-platform/sdk-go => ../../go
