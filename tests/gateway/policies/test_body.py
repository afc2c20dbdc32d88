"""Body templates: setproperty, convertobjecttoarray, convertarraytoobject, stringreplace.

The first cases of each are the examples of the template documentation.
"""

from __future__ import annotations

import copy

import pytest

from gateway.policies import PolicyDefinitionError, PolicyResponse, PolicySet

from .conftest import instance, request, run

PEOPLE_OBJECT = {"peopleObject": {"XYZ": {"Age": "30"}, "ABC": {"Age": "23"}}}


def test_setproperty_on_an_object():
    policy = instance("setproperty", section="Request",
                      newPropertyParentPathTemplate="@body().peopleObject",
                      newPropertySubPathTemplate="location", propertyValuePathTemplate="USA")
    req = run([policy], request(body=copy.deepcopy(PEOPLE_OBJECT)))
    assert req.body["peopleObject"]["location"] == "USA"
    assert req.body["peopleObject"]["XYZ"] == {"Age": "30"}


def test_setproperty_on_every_element_of_an_array():
    policy = instance("setproperty", section="Request",
                      newPropertyParentPathTemplate="@body().people",
                      newPropertySubPathTemplate="age", propertyValuePathTemplate="30")
    req = run([policy], request(body={"people": [{"name": "xyz"}, {"name": "pqr"}]}))
    assert req.body == {"people": [{"name": "xyz", "age": "30"}, {"name": "pqr", "age": "30"}]}


def test_setproperty_combines_values():
    policy = instance("setproperty", section="Request",
                      newPropertyParentPathTemplate="@body()", newPropertySubPathTemplate="name",
                      propertyValuePathTemplate="{@body().firstName} {@body().lastName}")
    req = run([policy], request(body={"firstName": "John", "lastName": "Smith"}))
    assert req.body["name"] == "John Smith"


@pytest.mark.parametrize(("parent", "sub", "value", "body", "expected"), [
    ("@body()", "payments", "[{@body().payments}]", {"payments": {"amount": 1}},
     {"payments": [{"amount": 1}]}),
    ("body()", "topics", '["matter.created"]', {}, {"topics": ["matter.created"]}),
    ("@body()", "['@odata.type']", "#microsoft.graph.group", {},
     {"@odata.type": "#microsoft.graph.group"}),
    ("@body().gifts", "receipts", "[{@item().receipts}]",
     {"gifts": [{"receipts": {"r": 1}}, {"receipts": {"r": 2}}]},
     {"gifts": [{"receipts": [{"r": 1}]}, {"receipts": [{"r": 2}]}]}),
    ("@body()", "api_key", "@connectionParameters('api_key')", {"a": 1},
     {"a": 1, "api_key": "k-123"}),
])
def test_setproperty_corpus_shapes(parent, sub, value, body, expected):
    policy = instance("setproperty", section="Request", operations=["GetItem"],
                      newPropertyParentPathTemplate=parent, newPropertySubPathTemplate=sub,
                      propertyValuePathTemplate=value)
    assert run([policy], request(body=body)).body == expected


def test_setproperty_skips_values_built_from_absent_properties():
    policy = instance("setproperty", newPropertyParentPathTemplate="@body()",
                      newPropertySubPathTemplate="payments",
                      propertyValuePathTemplate="[{@body().payments}]")
    assert run([policy], request(body={"other": 1})).body == {"other": 1}


def test_unknown_functions_are_definition_errors():
    policy = instance("routerequesttoendpoint",
                      newPath="/v1/graphs/@queryParamters('graphID')")
    with pytest.raises(PolicyDefinitionError) as caught:
        PolicySet.compile([policy])
    assert "queryParamters" in caught.value.message


def test_setproperty_leaves_non_json_bodies_alone():
    policy = instance("setproperty", newPropertyParentPathTemplate="@body()",
                      newPropertySubPathTemplate="a", propertyValuePathTemplate="1")
    assert run([policy], request(body=b"raw")).body == b"raw"
    assert run([policy], request(body=None)).body is None


def test_convertobjecttoarray_documented_example():
    policy = instance("convertobjecttoarray", section="Response",
                      propertyParentPath="@body()", propertySubPath="peopleObject",
                      newPropertyPath="@body().peopleArray", keyName="Name",
                      valueName="Details")
    response = PolicyResponse(200, body=copy.deepcopy(PEOPLE_OBJECT))
    PolicySet.compile([policy]).apply_response(request(), response)
    assert response.body["peopleArray"] == [
        {"Name": "XYZ", "Details": {"Age": "30"}}, {"Name": "ABC", "Details": {"Age": "23"}}]
    assert response.body["peopleObject"] == PEOPLE_OBJECT["peopleObject"]


def test_convertobjecttoarray_per_item_like_planner():
    policy = instance("ConvertObjectToArray", section="Response",
                      operations=["GetItem"], propertyParentPath="@body().value",
                      propertySubPath="assignments", newPropertyPath="@item()._assignments",
                      keyName="userId", valueName="value")
    body = {"value": [{"assignments": {"u1": {"at": 1}}}, {"assignments": {}}]}
    response = PolicyResponse(200, body=body)
    PolicySet.compile([policy]).apply_response(request(), response)
    assert body["value"][0]["_assignments"] == [{"userId": "u1", "value": {"at": 1}}]
    assert body["value"][1]["_assignments"] == []


def test_convertarraytoobject_documented_example_and_retain_key():
    body = {"peopleArray": [{"Name": "XYZ", "Age": "30"}, {"Name": "ABC", "Age": "23"}]}
    policy = instance("convertarraytoobject", section="Request", propertyParentPath="@body()",
                      propertySubPath="peopleArray", keyWithinCollectionPath="Name",
                      newPropertyPath="@body().peopleObject", retainKey="false")
    req = run([policy], request(body=copy.deepcopy(body)))
    assert req.body["peopleObject"] == {"XYZ": {"Age": "30"}, "ABC": {"Age": "23"}}
    kept = instance("convertarraytoobject", propertyParentPath="@body()",
                    propertySubPath="peopleArray", keyWithinCollectionPath="Name",
                    newPropertyPath="@body().peopleArray")
    req = run([kept], request(body=copy.deepcopy(body)))
    assert req.body["peopleArray"]["XYZ"] == {"Name": "XYZ", "Age": "30"}


def test_stringreplace_like_planner():
    policies = [
        instance("StringReplace", section="Request", operations=["GetItem"],
                 propertyParentPath="@body().references", propertySubPath="resourceLink",
                 sourceString="%", replacementString="%25",
                 newPropertyPath="@item().resourceLink"),
        instance("StringReplace", section="Request", operations=["GetItem"],
                 propertyParentPath="@body().references", propertySubPath="resourceLink",
                 sourceString=".", replacementString="%2E",
                 newPropertyPath="@item().resourceLink"),
    ]
    body = {"references": [{"resourceLink": "https://a.b/100%.txt"}, {"other": 1}]}
    req = run(policies, request(body=body))
    assert req.body["references"][0]["resourceLink"] == "https://a%2Eb/100%25%2Etxt"
    assert req.body["references"][1] == {"other": 1}


def test_policies_run_in_declared_order():
    # Planner converts references to an object, then encodes keys' links; order matters.
    first = instance("setproperty", newPropertyParentPathTemplate="@body()",
                     newPropertySubPathTemplate="a", propertyValuePathTemplate="x.y")
    second = instance("stringreplace", propertyParentPath="@body()", propertySubPath="a",
                      sourceString=".", replacementString="%2E")
    assert run([first, second], request(body={})).body == {"a": "x%2Ey"}


@pytest.mark.parametrize("policy", [
    instance("setproperty", newPropertyParentPathTemplate="@triggerBody()",
             newPropertySubPathTemplate="a", propertyValuePathTemplate="1"),
    instance("setproperty", newPropertyParentPathTemplate="@body()",
             newPropertySubPathTemplate="", propertyValuePathTemplate="1"),
    instance("convertobjecttoarray", propertyParentPath="@body()", propertySubPath="a",
             newPropertyPath="@body().b"),
    instance("convertarraytoobject", propertyParentPath="@body()", propertySubPath="a",
             keyWithinCollectionPath="k", newPropertyPath="@body().b", retainKey="maybe"),
    instance("setproperty", section="Sometimes", newPropertyParentPathTemplate="@body()",
             newPropertySubPathTemplate="a", propertyValuePathTemplate="1"),
])
def test_bad_definitions_fail_at_compile_time(policy):
    with pytest.raises(PolicyDefinitionError) as caught:
        PolicySet.compile([policy])
    assert caught.value.details[0]["template"] == policy.template


def test_stringtoarray_documented_example():
    body = {"peopleObject": {"XYZ": {"Age": "3;0"}, "ABC": {"Age": "23;45"}}}
    policy = instance("stringtoarray", section="Request", propertyParentPath="@body()",
                      propertySubPath="peopleObject.XYZ.Age", delimiterList=";",
                      childPropertyName="AgeW", newPropertyPath="@body.peopleObject.XYZ.Age")
    req = run([policy], request(body=body))
    assert req.body == {"peopleObject": {"XYZ": {"Age": [{"AgeW": "3"}, {"AgeW": "0"}]},
                                         "ABC": {"Age": "23;45"}}}


def test_stringtoarray_like_planner():
    policy = instance("StringToArray", section="Request", operations=["GetItem"],
                      propertyParentPath="@body()", propertySubPath="assignments",
                      delimiterList=";", childPropertyName="userId",
                      newPropertyPath="@body().assignments")
    req = run([policy], request(body={"assignments": "u1;u2;"}))
    assert req.body == {"assignments": [{"userId": "u1"}, {"userId": "u2"}]}


def test_moveproperties_like_azure_ad():
    policy = instance("moveproperties", section="Request", operations=["GetItem"],
                      srcParentPath="@body()", srcSubPath="customProperties",
                      dstParentPath="@body()", dstSubPath="null",
                      copyOnlySubProperties="true")
    body = {"displayName": "A", "customProperties": {"extension_x_dept": "ops"}}
    assert run([policy], request(body=body)).body == {"displayName": "A",
                                                      "extension_x_dept": "ops"}


def test_moveproperties_moves_a_value():
    policy = instance("moveproperties", srcParentPath="@body().a", srcSubPath="b",
                      dstParentPath="@body()", dstSubPath="c.d")
    req = run([policy], request(body={"a": {"b": [1], "k": 2}}))
    assert req.body == {"a": {"k": 2}, "c": {"d": [1]}}
