module github.com/connector-platform/sdk-go

go 1.23

require (
)
