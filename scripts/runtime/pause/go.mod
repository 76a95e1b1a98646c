module switchyard.local/scripts/runtime/pause

go 1.25
