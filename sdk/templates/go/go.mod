module {{name}}

go 1.24

require github.com/caxton/caxton/sdk/go v0.0.0

replace github.com/caxton/caxton/sdk/go => ./caxton-sdk
