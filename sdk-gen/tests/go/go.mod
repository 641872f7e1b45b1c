module github.com/connector-platform/sdk-go/e2e

go 1.23

require (
	github.com/connector-platform/sdk-go v0.1.0
	github.com/standard-webhooks/standard-webhooks/libraries v0.0.1
)

require gopkg.in/validator.v2 v2.0.1 // indirect

replace github.com/connector-platform/sdk-go => ../../go
