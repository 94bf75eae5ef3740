package stacks

import (
	"reflect"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// StackTags returns the tags every taggable resource carries: the configured ones plus
// project and stack, which identify a resource's owner when dev and prod share an account.
func StackTags(cfg *Config) map[string]string {
	tags := map[string]string{}
	for k, v := range cfg.Tags {
		tags[k] = v
	}
	tags["project"] = cfg.Project
	tags["stack"] = cfg.Stack
	tags["managed-by"] = "pulumi"
	return tags
}

var stringMapInput = reflect.TypeOf((*pulumi.StringMapInput)(nil)).Elem()

// registerTags adds the stack tags to every resource whose args have a Tags map, so that no
// component can forget them. Tags a resource sets itself win.
func registerTags(ctx *pulumi.Context, cfg *Config) error {
	tags := StackTags(cfg)
	return ctx.RegisterStackTransformation(func(args *pulumi.ResourceTransformationArgs) *pulumi.ResourceTransformationResult {
		v := reflect.ValueOf(args.Props)
		if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
			return nil
		}
		f := v.Elem().FieldByName("Tags")
		if !f.IsValid() || f.Type() != stringMapInput || !f.CanSet() {
			return nil
		}
		merged := pulumi.StringMap{}
		for k, val := range tags {
			merged[k] = pulumi.String(val)
		}
		if !f.IsNil() {
			own, ok := f.Interface().(pulumi.StringMap)
			if !ok {
				return nil // computed tags: leave them alone
			}
			for k, val := range own {
				merged[k] = val
			}
		}
		f.Set(reflect.ValueOf(merged))
		return &pulumi.ResourceTransformationResult{Props: args.Props, Opts: args.Opts}
	})
}
