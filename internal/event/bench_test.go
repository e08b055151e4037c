package event

import (
	"encoding/json"
	"testing"
	"time"
)

func BenchmarkParse(b *testing.B) {
	for _, name := range []string{"dlc-failed.json", "fc-batch.json", "fc-batch-strings.json", "aws-sagemaker-training-failed.json"} {
		body := []byte(readSample(b, name))
		b.Run(name, func(b *testing.B) {
			p := &Parser{}
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				batch, err := p.Parse(body, received)
				if err != nil || len(batch.Tasks) == 0 {
					b.Fatal(err, batch)
				}
			}
		})
	}
}

// sampleCEvent is sample C as a Go struct: what decoding the same event
// with encoding/json costs, the baseline the gjson reader is measured against.
type sampleCEvent struct {
	SpecVersion        string `json:"specversion"`
	ID                 string `json:"id"`
	Source             string `json:"source"`
	Type               string `json:"type"`
	Subject            string `json:"subject"`
	Time               string `json:"time"`
	DataContentType    string `json:"datacontenttype"`
	AliyunAccountID    string `json:"aliyunaccountid"`
	AliyunPublishTime  string `json:"aliyunpublishtime"`
	AliyunEventBusName string `json:"aliyuneventbusname"`
	AliyunRegionID     string `json:"aliyunregionid"`
	Data               struct {
		JobID         string    `json:"JobId"`
		DisplayName   string    `json:"DisplayName"`
		JobType       string    `json:"JobType"`
		Status        string    `json:"Status"`
		ReasonCode    string    `json:"ReasonCode"`
		ReasonMessage string    `json:"ReasonMessage"`
		WorkspaceID   string    `json:"WorkspaceId"`
		WorkspaceName string    `json:"WorkspaceName"`
		RegionID      string    `json:"RegionId"`
		UserID        string    `json:"UserId"`
		UserName      string    `json:"UserName"`
		GmtCreateTime time.Time `json:"GmtCreateTime"`
		GmtFinishTime time.Time `json:"GmtFinishTime"`
		Event         string    `json:"Event"`
		Message       string    `json:"Message"`
	} `json:"data"`
}

func BenchmarkParseEncodingJSON(b *testing.B) {
	body := []byte(readSample(b, "dlc-failed.json"))
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		var ev sampleCEvent
		if err := json.Unmarshal(body, &ev); err != nil || ev.Data.Status != "Failed" {
			b.Fatal(err)
		}
	}
}
