// Command fakefn is a Lambda custom runtime for the tests: it speaks the runtime API directly
// and does what each payload asks ({"do":"echo"|"error"|"big"|"hang"|"exit"|"env", ...}).
// FAKE_INIT=error reports an init error, FAKE_INIT=exit exits before asking for work.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

func main() {
	api := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/"
	switch os.Getenv("FAKE_INIT") {
	case "error":
		post(api+"init/error", "Runtime.InvalidConfiguration", `{"errorType":"Runtime.InvalidConfiguration","errorMessage":"FAKE_INIT says so"}`)
		os.Exit(1)
	case "exit":
		os.Exit(2)
	}
	for {
		resp, err := http.Get(api + "invocation/next")
		if err != nil {
			os.Exit(3)
		}
		payload, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
		var req struct {
			Do   string
			Size int
			Name string
		}
		_ = json.Unmarshal(payload, &req)
		fmt.Fprintf(os.Stderr, "invocation %s: %s deadline %s arn %s\n", id, req.Do,
			resp.Header.Get("Lambda-Runtime-Deadline-Ms"), resp.Header.Get("Lambda-Runtime-Invoked-Function-Arn"))
		switch req.Do {
		case "echo":
			post(api+"invocation/"+id+"/response", "", string(payload))
		case "error":
			post(api+"invocation/"+id+"/error", "Fake.Error", `{"errorType":"Fake.Error","errorMessage":"asked to fail"}`)
		case "big":
			post(api+"invocation/"+id+"/response", "", `"`+strings.Repeat("x", req.Size)+`"`)
		case "hang":
			time.Sleep(time.Hour)
		case "exit":
			os.Exit(4)
		case "env":
			b, _ := json.Marshal(os.Getenv(req.Name))
			post(api+"invocation/"+id+"/response", "", string(b))
		}
	}
}

func post(url, errorType, body string) {
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewBufferString(body))
	if errorType != "" {
		req.Header.Set("Lambda-Runtime-Function-Error-Type", errorType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
	}
}
