module github.com/caxton/caxton/sdk/go

go 1.24
