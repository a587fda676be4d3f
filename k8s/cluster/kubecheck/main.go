// Command kubecheck validates rendered Kubernetes manifests offline, against the API types of the
// Kubernetes version this module pins (k8s.io/api, the same version helm is compiled against):
//
//   - strict decoding with the client-go scheme, as the API server does with fieldValidation=Strict:
//     unknown fields, duplicate fields and wrongly typed values are errors;
//   - the Pod Security Admission "restricted" profile (k8s.io/pod-security-admission, latest
//     version) for every object with a pod template.
//
// Input: multi-document YAML on stdin (`helm template ... | kubecheck`). Output: one JSON report on
// stdout, {"kubernetesVersion": "...", "objects": [{kind, apiVersion, name, strict: [...],
// podSecurity: [...], known: bool}]}. Kinds the scheme does not know (CRDs such as ServiceMonitor)
// are reported with known=false. Exit status 0 unless the input cannot be read.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/yaml"
)

type objectReport struct {
	Kind        string   `json:"kind"`
	APIVersion  string   `json:"apiVersion"`
	Name        string   `json:"name"`
	Known       bool     `json:"known"`
	Strict      []string `json:"strict"`
	PodSecurity []string `json:"podSecurity"`
}

type report struct {
	KubernetesVersion string         `json:"kubernetesVersion"`
	Objects           []objectReport `json:"objects"`
}

func apiVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == "k8s.io/api" {
				if dep.Replace != nil { // k8s/cluster/go.mod replaces the staging modules with their published versions
					return dep.Replace.Version
				}
				return dep.Version
			}
		}
	}
	return "unknown"
}

func main() {
	strict := serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict).UniversalDeserializer()
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks())
	if err != nil {
		fmt.Fprintln(os.Stderr, "kubecheck:", err)
		os.Exit(2)
	}
	restricted := psaapi.LevelVersion{Level: psaapi.LevelRestricted, Version: psaapi.LatestVersion()}

	out := report{KubernetesVersion: apiVersion(), Objects: []objectReport{}}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(os.Stdin))
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "kubecheck: reading input:", err)
			os.Exit(2)
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		var meta struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			out.Objects = append(out.Objects, objectReport{Strict: []string{"not YAML: " + err.Error()}, PodSecurity: []string{}})
			continue
		}
		if meta.Kind == "" && meta.APIVersion == "" {
			continue // a document holding only comments
		}
		rep := objectReport{Kind: meta.Kind, APIVersion: meta.APIVersion, Name: meta.Metadata.Name, Strict: []string{}, PodSecurity: []string{}}
		obj, _, err := strict.Decode(doc, nil, nil)
		switch {
		case runtime.IsNotRegisteredError(err):
			rep.Known = false
		case err != nil:
			rep.Known = true
			if obj == nil || !runtime.IsStrictDecodingError(err) {
				rep.Strict = append(rep.Strict, err.Error())
				break
			}
			// A strict decoding error still returns the object: report each problem on its own line.
			for _, e := range strings.Split(strings.TrimPrefix(err.Error(), "strict decoding error: "), ", ") {
				rep.Strict = append(rep.Strict, e)
			}
		default:
			rep.Known = true
		}
		if obj != nil {
			if podMeta, podSpec := podOf(obj); podSpec != nil {
				for _, r := range evaluator.EvaluatePod(restricted, podMeta, podSpec) {
					if !r.Allowed {
						rep.PodSecurity = append(rep.PodSecurity, r.ForbiddenReason+": "+r.ForbiddenDetail)
					}
				}
			}
		}
		out.Objects = append(out.Objects, rep)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "kubecheck:", err)
		os.Exit(2)
	}
}

// podOf returns the pod template of the workload kinds a chart renders.
func podOf(obj runtime.Object) (*metav1.ObjectMeta, *corev1.PodSpec) {
	switch o := obj.(type) {
	case *corev1.Pod:
		return &o.ObjectMeta, &o.Spec
	case *appsv1.Deployment:
		return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
	case *appsv1.StatefulSet:
		return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
	case *appsv1.DaemonSet:
		return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
	case *appsv1.ReplicaSet:
		return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
	case *batchv1.Job:
		return &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec
	case *batchv1.CronJob:
		return &o.Spec.JobTemplate.Spec.Template.ObjectMeta, &o.Spec.JobTemplate.Spec.Template.Spec
	}
	return nil, nil
}
