"""xml(), xpath() and json() of XML, with the documented examples; hostile XML refused."""

from __future__ import annotations

import pytest

from gateway.expressions import ArgumentTypeError, evaluate

PEOPLE_ONE = ('<?xml version="1.0"?> <root> <person id="1"> <name>Sophia Owen</name> '
              '<occupation>Engineer</occupation> </person> </root>')
PEOPLE_TWO = ('<?xml version="1.0"?> <root> <person id="1"> <name>Sophia Owen</name> '
              '<occupation>Engineer</occupation> </person> <person id="2"> <name>John Doe'
              '</name> <occupation>Engineer</occupation> </person> </root>')
ITEMS = ('<?xml version="1.0"?><produce><item><name expired="true" price="12">Gala</name>'
         '<type>apple</type><count>20</count></item><item><name expired="false" price="40">'
         'Honeycrisp</name><type>apple</type><count>10</count></item></produce>')
LOCATION = '<?xml version="1.0"?><file xmlns="https://contoso.com"><location>Paris</location></file>'


def run(expression, **parameters):
    return evaluate(expression, {"parameters": parameters})


def test_json_of_xml_with_one_child():
    assert run("@json(xml(parameters('x')))", x=PEOPLE_ONE) == {
        "?xml": {"@version": "1.0"},
        "root": {"person": {"@id": "1", "name": "Sophia Owen", "occupation": "Engineer"}}}


def test_json_of_xml_with_repeated_children():
    assert run("@json(xml(parameters('x')))", x=PEOPLE_TWO)["root"] == {"person": [
        {"@id": "1", "name": "Sophia Owen", "occupation": "Engineer"},
        {"@id": "2", "name": "John Doe", "occupation": "Engineer"}]}


@pytest.mark.parametrize(("expression", "expected"), [
    ("@xml('<name>Sophia Owen</name>')", "<name>Sophia Owen</name>"),
    ("@xml(json('{ \"name\": \"Sophia Owen\" }'))", "<name>Sophia Owen</name>"),
    ("@xml(json('{\"person\": {\"name\": \"Sophia Owen\", \"city\": \"Seattle\"}}'))",
     "<person><name>Sophia Owen</name><city>Seattle</city></person>"),
    ("@xml(json('{\"a\": {\"@id\": 1, \"b\": [1, 2]}}'))", '<a id="1"><b>1</b><b>2</b></a>'),
])
def test_xml(expression, expected):
    assert evaluate(expression) == expected


@pytest.mark.parametrize(("path", "expected"), [
    ("/produce/item/name", ['<name expired="true" price="12">Gala</name>',
                            '<name expired="false" price="40">Honeycrisp</name>']),
    ("/produce/item[1]/name/text()", "Gala"),
    ("//name[@expired = ''true'']/text()", "Gala"),
    ("//name[@price > 35]/text()", "Honeycrisp"),
    ("sum(/produce/item/count)", 30),
    ("count(//item)", 2),
    ("boolean(//item)", True),
    ("//missing", []),
])
def test_xpath(path, expected):
    assert run(f"@xpath(xml(parameters('items')), '{path}')", items=ITEMS) == expected


def test_xpath_with_a_default_namespace():
    assert run("@xpath(xml(parameters('x')), 'string(/*[name()=\"file\"]/*[name()=\"location\"])')",
               x=LOCATION) == "Paris"
    path = '/*[local-name()=\"file\"]/*[local-name()=\"location\"]'
    node = run(f"@xpath(xml(parameters('x')), '{path}')", x=LOCATION)
    assert node == '<location xmlns="https://contoso.com">Paris</location>'


def test_xml_values_are_strings_elsewhere():
    assert run("@length(xml('<a/>'))") == 4
    assert run("@concat('x', xml('<a/>'))") == "x<a/>"


@pytest.mark.parametrize("text", [
    '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e "boom">]><a>&e;</a>',
    '<!DOCTYPE a SYSTEM "http://169.254.169.254/latest"><a/>',
    "<a><b></a>",
    "not xml",
])
def test_unsafe_or_malformed_xml_is_refused(text):
    with pytest.raises(ArgumentTypeError):
        run("@xml(parameters('x'))", x=text)


@pytest.mark.parametrize("expression", [
    "@xpath(xml('<a/>'), '///')", "@xml(json('{\"a\": 1, \"b\": 2}'))",
    "@xml(json('{\"a\": [1]}'))", "@xml(json('{\"1bad\": 1}'))",
])
def test_bad_arguments(expression):
    with pytest.raises(ArgumentTypeError):
        evaluate(expression)


@pytest.mark.parametrize(("document", "expected"), [
    ('<s:Envelope xmlns:s="urn:soap"><s:Body><m:r xmlns:m="urn:m" m:id="7" plain="p">x'
     '</m:r></s:Body></s:Envelope>',
     {"s:Envelope": {"@xmlns:s": "urn:soap", "s:Body": {
         "m:r": {"@xmlns:m": "urn:m", "@m:id": "7", "@plain": "p", "#text": "x"}}}}),
    (LOCATION, {"?xml": {"@version": "1.0"},
                "file": {"@xmlns": "https://contoso.com", "location": "Paris"}}),
    ("<p>a<b>1</b>c</p>", {"p": {"#text": ["a", "c"], "b": "1"}}),
    ("<a><b/><c></c></a>", {"a": {"b": None, "c": None}}),
])
def test_json_of_xml_keeps_prefixes_declarations_and_mixed_text(document, expected):
    assert run("@json(xml(parameters('x')))", x=document) == expected


@pytest.mark.parametrize(("json_text", "expected"), [
    ('{"?xml": {"@version": "1.0"}, "s:Envelope": {"@xmlns:s": "urn:soap", "s:Body": '
     '{"ok": true, "n": [1, 2.5], "e": null, "t": "a<b&c"}}}',
     '<?xml version="1.0"?><s:Envelope xmlns:s="urn:soap"><s:Body><ok>true</ok><n>1</n>'
     '<n>2.5</n><e /><t>a&lt;b&amp;c</t></s:Body></s:Envelope>'),
    ('{"a": {"@id": "x\\"y", "#text": "t"}}', '<a id="x&quot;y">t</a>'),
    ('{"a": {"#cdata-section": "1 < 2"}}', "<a><![CDATA[1 < 2]]></a>"),
    ('{"a": ""}', "<a></a>"),
])
def test_xml_of_json_writes_as_newtonsoft_does(json_text, expected):
    assert run("@xml(json(parameters('j')))", j=json_text) == expected


def test_xml_of_json_refuses_undeclared_prefixes_and_nested_arrays():
    for json_text in ('{"p:a": 1}', '{"a": {"b": [[1]]}}', '{"a": {"@1x": 1}}'):
        with pytest.raises(ArgumentTypeError):
            run("@xml(json(parameters('j')))", j=json_text)
