module github.com/rshm/rshm/go

go 1.19
