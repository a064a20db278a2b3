package chattemplate

import "fmt"

// ParseMessages reads an OpenAI-style JSON message list:
// [{"role", "content", "reasoning_content"?, "name"?, "tool_call_id"?,
// "tool_calls"?: [{"id"?, "function": {"name", "arguments"}}]}]. Errors name
// the offending message and field.
func ParseMessages(data []byte) ([]Message, error) {
	v, err := DecodeJSON(data)
	if err != nil {
		return nil, fmt.Errorf("messages: invalid JSON: %w", err)
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("messages: want a JSON array of {role, content} objects, got %s", typeName(v))
	}
	out := make([]Message, 0, len(list))
	for i, item := range list {
		d, ok := item.(*Dict)
		if !ok {
			return nil, fmt.Errorf("messages[%d]: want an object, got %s", i, typeName(item))
		}
		str := func(key string, required bool) (string, error) {
			v, ok := d.Get(key)
			if !ok || v == nil {
				if required {
					return "", fmt.Errorf("messages[%d]: missing %q", i, key)
				}
				return "", nil
			}
			s, ok := v.(string)
			if !ok {
				return "", fmt.Errorf("messages[%d].%s: want a string, got %s", i, key, typeName(v))
			}
			return s, nil
		}
		var m Message
		var errs [5]error
		m.Role, errs[0] = str("role", true)
		m.Content, errs[1] = str("content", false)
		m.ReasoningContent, errs[2] = str("reasoning_content", false)
		m.Name, errs[3] = str("name", false)
		m.ToolCallID, errs[4] = str("tool_call_id", false)
		for _, e := range errs {
			if e != nil {
				return nil, e
			}
		}
		if tc, ok := d.Get("tool_calls"); ok && tc != nil {
			calls, ok := tc.([]any)
			if !ok {
				return nil, fmt.Errorf("messages[%d].tool_calls: want an array", i)
			}
			for j, c := range calls {
				cd, ok := c.(*Dict)
				if !ok {
					return nil, fmt.Errorf("messages[%d].tool_calls[%d]: want an object", i, j)
				}
				fn := cd
				if f, ok := cd.Get("function"); ok {
					if fd, ok := f.(*Dict); ok {
						fn = fd
					}
				}
				name, _ := fn.Get("name")
				ns, ok := name.(string)
				if !ok {
					return nil, fmt.Errorf("messages[%d].tool_calls[%d]: missing function name", i, j)
				}
				args, _ := fn.Get("arguments")
				id, _ := cd.Get("id")
				ids, _ := id.(string)
				m.ToolCalls = append(m.ToolCalls, ToolCall{ID: ids, Name: ns, Arguments: args})
			}
		}
		out = append(out, m)
	}
	return out, nil
}
